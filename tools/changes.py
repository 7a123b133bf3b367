"""The shapes every writer, the gate and every front end share: change sets and diagnostics."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "info"]
DiagnosticSource = Literal["python", "dapr", "ruff", "policy", "history"]


class FileChange(BaseModel):
    """One file of a change set: a path relative to the workspace root and its full new content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(description="Path relative to the project root, '/'-separated.")
    content: str = Field(description="The complete new file content.")


class FileEdit(BaseModel):
    """One exact-text replacement in an existing file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    old: str = Field(description="Exact text (whitespace too), unique unless replace_all.")
    new: str
    replace_all: bool = False


class Diagnostic(BaseModel):
    """One finding, written so that a model can fix it in one turn.

    Lines and columns are 1-based; `end_line`/`end_column` close the range (inclusive line,
    exclusive column).
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    severity: Severity = "error"
    source: DiagnosticSource
    path: str
    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 1
    message: str
    why: str = ""
    fix: str = ""
    excerpt: str = ""
    blocking: bool = True
    fixable: bool = Field(
        default=False, description="daprdev's fixer rewrites this finding (`daprdev check --fix`)."
    )
