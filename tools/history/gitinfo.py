"""The two facts a record takes from git: the current branch and the user's name."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> str | None:
    executable = shutil.which("git")
    if executable is None:
        return None
    try:
        completed = subprocess.run(
            [executable, *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    output = completed.stdout.strip()
    return output if completed.returncode == 0 and output else None


def current_branch(root: Path) -> str | None:
    """The checked-out branch, or None outside a repository or on a detached HEAD."""
    return _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")


def user_name(root: Path) -> str | None:
    return _git(root, "config", "user.name")
