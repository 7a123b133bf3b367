"""Paths and helpers shared by the codegen tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "specs" / "001-task-reminders"
PAYMENTS = REPO / "specs" / "002-order-payments"
VARIETY = Path(__file__).resolve().parent / "specs" / "variety.yaml"
HOSTILE = Path(__file__).resolve().parent / "specs" / "hostile.yaml"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, to prove a run changed nothing."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
