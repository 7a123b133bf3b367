"""Building history diagnostics: one constructor, legacy files downgraded to warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tools.changes import Diagnostic, Severity
from tools.history.layout import relative


@dataclass
class Findings:
    """Diagnostics for one file. Files in a legacy layout only ever get warnings: they are read, not
    judged, until someone moves them to `history/`."""

    root: Path
    path: Path
    legacy: bool = False
    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        rule: str,
        message: str,
        *,
        fix: str,
        why: str = "",
        severity: Severity = "error",
        line: int = 1,
        column: int = 1,
        excerpt: str = "",
    ) -> None:
        if self.legacy and severity == "error":
            severity = "warning"
        self.items.append(
            Diagnostic(
                rule=rule,
                severity=severity,
                source="history",
                path=relative(self.root, self.path),
                line=line,
                column=column,
                end_line=line,
                end_column=column + max(len(excerpt), 1),
                message=message,
                why=why,
                fix=fix,
                excerpt=excerpt,
                blocking=severity == "error",
            )
        )
