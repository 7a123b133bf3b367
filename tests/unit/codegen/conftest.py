from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from codegen_support import EXAMPLE


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root holding a copy of the example spec."""
    shutil.copytree(EXAMPLE, tmp_path / "specs" / "001-task-reminders")
    return tmp_path
