"""A private PostgreSQL cluster on a free port: initdb in a temporary folder, trust auth on loopback
only, no fsync. PostgreSQL refuses to run as root, so under root (CI) both run as the `postgres`
user the Debian package creates, through setpriv (which execs, so the server is our own child)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.ports import free_port
from harness.process import Process
from harness.wait import eventually

USER = "postgres"


def locate() -> Path | str:
    """The folder of the newest installed server's binaries, or how to get one."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=_version)
    on_path = shutil.which("postgres")
    if found:
        return found[-1].parent
    if on_path:
        return Path(on_path).parent
    return "missing postgres (Debian package postgresql): run `make prereqs`"


def _version(binary: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in binary.parent.parent.name.split(".") if p.isdigit())


class PostgresServer:
    def __init__(self, bin_dir: Path, *, log_dir: Path, name: str = "postgres") -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        # Not under pytest's tmp folders: those are private to root, and the server may not be.
        self.folder = Path(tempfile.mkdtemp(prefix="daprdev-postgres-"))
        self.data = self.folder / "data"
        self._prefix = self._as_server_user()
        self.process = Process(
            name,
            [
                *self._prefix,
                str(bin_dir / "postgres"),
                "-D", str(self.data),
                "-p", str(self.port),
                "-h", "127.0.0.1",
                "-k", "",  # no Unix socket: TCP on loopback only
                "-c", "fsync=off",
                "-c", "full_page_writes=off",
            ],
            log_dir=log_dir,
        )  # fmt: skip

    def _as_server_user(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        shutil.chown(self.folder, USER, USER)
        return ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--init-groups", "--"]

    @property
    def connection_string(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres connect_timeout=5"

    def start(self, timeout: float = 30.0) -> PostgresServer:
        subprocess.run(
            [
                *self._prefix,
                str(self.bin_dir / "initdb"),
                "-D", str(self.data),
                "-U", "postgres",
                "--auth=trust",
                "-E", "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.folder,
        )  # fmt: skip
        self.process.start()
        eventually(self._ready, timeout=timeout, what=f"postgres on 127.0.0.1:{self.port}")
        return self

    def _ready(self) -> bool:
        probe = [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)]
        probe += ["-U", "postgres"]
        return subprocess.run(probe, capture_output=True, check=False).returncode == 0

    def stop(self) -> None:
        self.process.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
