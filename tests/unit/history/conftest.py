"""Shared fixture: a throw-away project with one feature folder and no ambient feature settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_support import FEATURE


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SPECIFY_FEATURE", raising=False)
    (tmp_path / "specs" / FEATURE).mkdir(parents=True)
    return tmp_path
