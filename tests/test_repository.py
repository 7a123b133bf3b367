"""daprdev is its own first user: this repository passes its own gate and its pinned ruff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ruff.__main__ import find_ruff_bin

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_check_and_format_are_clean() -> None:
    ruff = str(find_ruff_bin())
    lint = _run(ruff, "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    layout = _run(ruff, "format", "--check", "--no-cache", ".")
    assert layout.returncode == 0, layout.stdout + layout.stderr


def test_daprdev_check_passes_on_this_repository() -> None:
    result = _run(
        sys.executable, "-c", "from agent.cli import main; main()", "check", "--no-cache", "."
    )
    assert result.returncode == 0, result.stdout + result.stderr
