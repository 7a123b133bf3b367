from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from spec_support import PAYMENTS

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "specs" / "001-task-reminders"


@pytest.fixture
def example_data() -> dict[str, Any]:
    """The example spec as data, a fresh copy per test to break on purpose."""
    return copy.deepcopy(yaml.safe_load((EXAMPLE / "service.yaml").read_text(encoding="utf-8")))


@pytest.fixture
def payments() -> dict[str, Any]:
    """The second example spec (specs/002-order-payments) as data, a fresh copy per test."""
    data: dict[str, Any] = yaml.safe_load((PAYMENTS / "service.yaml").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    def write(data: dict[str, Any]) -> Path:
        path = tmp_path / "spec" / "service.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write
