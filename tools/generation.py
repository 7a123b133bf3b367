"""What the MCP `generate` tool answers: a generation's outcome in a result a model can afford.

Every file generate did not write carries its reason (`kept`: left as it is, and why; `refused`:
the gate's findings, nothing written). The result never exceeds MAX_GENERATE_RESULT_BYTES: a
full diff that does not fit is written to a file under `build/` (through the workspace) and the
result holds its path and the per-file stat instead; lists that still do not fit are cut, saying
how many entries were left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from tools.changes import Diagnostic
from tools.findings import compact
from tools.limits import MAX_GENERATE_RESULT_BYTES
from tools.workspace import Workspace

if TYPE_CHECKING:  # the generator loads its templates; the server imports this at start
    from tools.codegen import GenerateResult

_FINDINGS_PER_FILE = 5
_CHANGES = ("created", "updated", "deleted")


class GenerateSummary(BaseModel):
    """What generate did: files as 'action path'; kept and refused: path -> why; diff as asked,
    or in diff_file when too long."""

    ok: bool
    written: bool
    out: str
    files: list[str]
    unchanged: int = 0
    kept: dict[str, str] = Field(default_factory=dict)
    refused: dict[str, str] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    diff: str = ""
    diff_file: str = ""


def summarize(workspace: Workspace, result: GenerateResult) -> GenerateSummary:
    """`result` as the tool answers it, within MAX_GENERATE_RESULT_BYTES."""
    blocking = [d for d in result.diagnostics if d.blocking]
    notes = [compact(d) for d in result.diagnostics if not d.blocking]
    if blocking:
        notes.insert(0, f"the gate refused {len(result.refused)} file(s): nothing was written")
    # A hook is the user's: generate leaves it as it is and says when the spec moved away from it.
    notes[:0] = [f"stale hook {path}: {why}" for path, why in result.stale_hooks.items()]
    summary = GenerateSummary(
        ok=result.ok,
        written=result.committed,
        out=result.out,
        files=[f"{f.action} {f.path}" for f in result.files if f.action in _CHANGES],
        unchanged=sum(f.action == "unchanged" for f in result.files),
        kept={f.path: f.reason for f in result.files if f.action == "kept"},
        refused={
            f.path: _findings(f.reason, [d for d in blocking if d.path == f.path])
            for f in result.files
            if f.action == "refused"
        },
        notes=notes,
        diff=result.diff,
    )
    if _size(summary) > MAX_GENERATE_RESULT_BYTES and summary.diff:
        path = _diff_path(result.out)
        workspace.commit([(path, result.diff)])
        summary.diff, summary.diff_file = result.stat, path
    return _fitted(summary)


def _findings(reason: str, diagnostics: Sequence[Diagnostic]) -> str:
    shown = [compact(d) for d in diagnostics[:_FINDINGS_PER_FILE]]
    if len(diagnostics) > _FINDINGS_PER_FILE:
        shown.append(f"({len(diagnostics) - _FINDINGS_PER_FILE} more findings)")
    return "\n".join([reason, *shown])


def _diff_path(out: str) -> str:
    """Where a full diff too long for the result goes: `build/<out>.diff` ('build/' not doubled).

    A report of the call, not a file of the task: written through the workspace, but not into
    the work log, so a PHR lists what the task changed."""
    folder = PurePosixPath(out)
    name = "-".join(folder.parts[1:] if folder.parts[:1] == ("build",) else folder.parts)
    return f"build/{name or 'generated'}.diff"


def _fitted(summary: GenerateSummary) -> GenerateSummary:
    """Drop a stat too long to fit, then cut the lists (notes first, files last) until the result
    fits, each ending with how many entries were left out."""
    if _size(summary) > MAX_GENERATE_RESULT_BYTES:
        summary.diff = ""  # the files and their reasons say more than a truncated stat
    for name in ("notes", "refused", "kept", "files"):
        entries = getattr(summary, name)
        mapping = isinstance(entries, dict)
        real = list(entries.items()) if mapping else list(entries)
        left = 0
        while real and _size(summary) > MAX_GENERATE_RESULT_BYTES:
            real.pop()
            left += 1
            more = f"… {left} more"
            setattr(summary, name, {**dict(real), "…": more} if mapping else [*real, more])
    return summary


def _size(summary: GenerateSummary) -> int:
    return len(json.dumps(summary.model_dump(mode="json"), separators=(",", ":")).encode())
