"""Paths and helpers shared by the codegen tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "specs" / "001-task-reminders"
PAYMENTS = REPO / "specs" / "002-order-payments"
VARIETY = Path(__file__).resolve().parent / "specs" / "variety.yaml"
HOSTILE = Path(__file__).resolve().parent / "specs" / "hostile.yaml"
CLAIMS = Path(__file__).resolve().parent / "specs" / "claims-desk.yaml"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, to prove a run changed nothing."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run_own_tests(
    service: Path, *pytest_args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """The generated service's own pytest, without a sidecar: no DAPR_* or APP_API* from here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAPR_", "APP_API"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *pytest_args],
        cwd=service,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
