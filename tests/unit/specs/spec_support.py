"""What the spec section tests share: the second example spec, and its problems as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.specs.loader import validate_data

PAYMENTS = Path(__file__).resolve().parents[3] / "specs" / "002-order-payments"


def problems(data: dict[str, Any]) -> list[str]:
    """Every problem `spec validate` reports for `data`, as its one-line text."""
    return [str(p) for p in validate_data(data)[1]]
