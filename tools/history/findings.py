"""Building history diagnostics: one constructor, catalogued codes only, legacy files downgraded to
warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tools.changes import Diagnostic, Severity
from tools.history.codes import CODES, RecordCode
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
        code: RecordCode,
        message: str,
        *,
        fix: str | None = None,
        severity: Severity = "error",
        line: int = 1,
        column: int = 1,
        excerpt: str = "",
    ) -> None:
        """Report `code` with this finding's own `message`; `fix` defaults to the code's."""
        if CODES.get(code.id) is not code:
            raise ValueError(f"record code {code.id!r} is not in tools.history.codes.CODES")
        if self.legacy and severity == "error":
            severity = "warning"
        self.items.append(
            Diagnostic(
                rule=code.id,
                severity=severity,
                source="history",
                path=relative(self.root, self.path),
                line=line,
                column=column,
                end_line=line,
                end_column=column + max(len(excerpt), 1),
                message=message,
                why=code.why,
                fix=code.fix if fix is None else fix,
                excerpt=excerpt,
                blocking=severity == "error",
            )
        )
