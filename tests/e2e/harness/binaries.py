"""Where the built daprd and Scheduler live, and what to tell a person when something is missing."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

DAPR_VERSION = "1.18.3"
REPO_ROOT = Path(__file__).resolve().parents[3]
RUNTIME_MODULE = REPO_ROOT / "tests" / "e2e" / "runtime"
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-daprd"
HOW_TO_GET = (
    "run `make prereqs` (builds daprd and the Scheduler with Go >= 1.26.6, installs redis-server)"
)


@dataclass(frozen=True)
class Binaries:
    daprd: Path
    scheduler: Path
    redis_server: Path


def cache_root() -> Path:
    return Path(os.environ.get("DAPRDEV_CACHE") or Path.home() / ".cache" / "daprdev")


def runtime_dir() -> Path:
    """The folder scripts/build-daprd builds into, keyed like the script keys it.

    The key is the Dapr version and a hash of what decides the binaries: the wrapper's go.sum,
    go.mod and daprd/main.go, and the build script itself.
    """
    digest = hashlib.sha256()
    for name in ("go.sum", "go.mod", "daprd/main.go"):
        digest.update((RUNTIME_MODULE / name).read_bytes())
    digest.update(BUILD_SCRIPT.read_bytes())
    return cache_root() / "runtime" / f"{DAPR_VERSION}-{digest.hexdigest()[:12]}"


def build_times_file() -> Path:
    return cache_root() / "runtime" / "build-times.txt"


def locate() -> Binaries | str:
    """The binaries, or a message naming what is missing and how to get it."""
    built = runtime_dir()
    daprd = Path(os.environ.get("DAPRDEV_DAPRD") or built / "daprd")
    scheduler = Path(os.environ.get("DAPRDEV_SCHEDULER") or built / "scheduler")
    redis = shutil.which("redis-server")
    missing = [
        f"{name} ({path})"
        for name, path in (("daprd", daprd), ("Scheduler", scheduler))
        if not os.access(path, os.X_OK)
    ]
    if redis is None:
        missing.append("redis-server (Debian package redis-server)")
    if missing:
        return f"missing {', '.join(missing)}: {HOW_TO_GET}"
    return Binaries(daprd=daprd, scheduler=scheduler, redis_server=Path(str(redis)))
