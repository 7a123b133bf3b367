"""The gate's result shapes: one `CheckedFile` per path and a `GateReport` over the change set."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field

from tools.changes import Diagnostic


class CheckedFile(BaseModel):
    """One file after the gate: the content to write (formatted for Python) and its findings."""

    model_config = ConfigDict(frozen=True)

    path: str
    content: str = Field(description="Formatted content to write; unchanged for non-Python files.")
    diagnostics: list[Diagnostic] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """True when no diagnostic of this file blocks the write."""
        return not any(d.blocking for d in self.diagnostics)


class GateReport(BaseModel):
    """The gate's verdict on a whole change set: `ok` when no diagnostic blocks the write."""

    model_config = ConfigDict(frozen=True)

    files: list[CheckedFile] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every file's diagnostics, in change-set order."""
        return [d for f in self.files for d in f.diagnostics]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """True when nothing in the change set blocks the write."""
        return all(f.ok for f in self.files)
