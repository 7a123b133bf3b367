"""The validation gate: every write of daprdev, and `daprdev check`, goes through `check_changes`.

report = check_changes([FileChange(path="app/main.py", content=source)], root=project)
if report.ok:
    ...  # write each `report.files[i].content` (formatted)
"""

from __future__ import annotations

from tools.validate.gate import check_changes
from tools.validate.models import CheckedFile, GateReport
from tools.validate.policy import refusal_for_path

__all__ = ["CheckedFile", "GateReport", "check_changes", "refusal_for_path"]
