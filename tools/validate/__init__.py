"""The validation gate: every write of daprdev, and `daprdev check`, goes through `check_changes`.

report = check_changes([FileChange(path="app/main.py", content=source)], root=project)
if report.ok:
    ...  # write each `report.files[i].content` (formatted)

The gate pulls in libcst and ruff, so its names load on first use: reading the project's settings
(`tools.validate.config`) at start-up stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.validate.gate import check_changes
    from tools.validate.models import CheckedFile, GateReport
    from tools.validate.policy import refusal_for_path

_EXPORTS = {
    "check_changes": "tools.validate.gate",
    "CheckedFile": "tools.validate.models",
    "GateReport": "tools.validate.models",
    "refusal_for_path": "tools.validate.policy",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tools.validate' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)


__all__ = ["CheckedFile", "GateReport", "check_changes", "refusal_for_path"]
