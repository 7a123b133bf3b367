from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "specs" / "001-task-reminders"
VARIETY = Path(__file__).resolve().parent / "specs" / "variety.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root holding a copy of the example spec."""
    shutil.copytree(EXAMPLE, tmp_path / "specs" / "001-task-reminders")
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
