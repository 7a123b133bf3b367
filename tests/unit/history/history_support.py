"""Helpers shared by the history tests (a unique module name, importable from every test here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.history import PhrRecord, create_phr

FEATURE = "001-task-reminders"


def new_phr(root: Path, **overrides: Any) -> PhrRecord:
    """create_phr with sensible defaults; branch and user given so no git call is needed."""
    arguments: dict[str, Any] = {
        "title": "Implement reminder producer",
        "stage": "general",
        "prompt": "Implement the producer for task-created.",
        "response": "Added the producer and its tests.",
        "branch": "main",
        "user": "tester",
    }
    arguments.update(overrides)
    return create_phr(root, **arguments)
