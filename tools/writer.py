"""The one way daprdev writes files: paths checked, the gate run, then an all-or-nothing commit.

`daprdev generate`, the MCP server's `write_files`, the headless runner and the fixers all call
`write_changes`, so nothing reaches the disk without passing the same gate, and every write is
recorded as a fact in the caller's WorkLog (for Prompt History Records).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from tools.changes import Diagnostic, FileChange
from tools.errors import PathRefused, UsageError
from tools.limits import check_change_set
from tools.worklog import GateRun, WorkLog
from tools.workspace import Cancellation, Workspace, sha256_hex

_log = logging.getLogger(__name__)


class WrittenFile(BaseModel):
    """One file of a change set as written (or, in a dry run, as it would be written)."""

    path: str
    sha256: str = Field(description="SHA-256 of the formatted content on disk.")
    action: Literal["created", "updated"]
    bytes: int


class WriteResult(BaseModel):
    """Outcome of a change set; when `ok` is false the gate refused it and nothing was written."""

    ok: bool
    dry_run: bool = False
    files: list[WrittenFile] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)


def write_changes(
    workspace: Workspace,
    changes: Sequence[FileChange],
    *,
    reason: str | None = None,
    worklog: WorkLog | None = None,
    dry_run: bool = False,
    cancellation: Cancellation | None = None,
) -> WriteResult:
    """Check and write a change set under the workspace's root, all files or none.

    Raises UsageError for a change set over the size bounds and PathRefused (every refused path
    listed) before the gate runs. When the gate finds a blocking problem the result has
    `ok=False`, its diagnostics, and nothing is written; otherwise the gate's formatted contents
    are committed atomically and recorded in `worklog`.
    """
    clean = checked_paths(workspace, changes)
    from tools.validate import check_changes  # the gate pulls in libcst and ruff; load on first use

    report = check_changes(clean, root=workspace.root, config=workspace.config)
    if worklog is not None:
        blocking = [d for d in report.diagnostics if d.blocking]
        worklog.record_gate(
            GateRun(
                paths=tuple(c.path for c in clean),
                ok=report.ok,
                blocking=len(blocking),
                rules=tuple(sorted({d.rule for d in blocking})),
            )
        )
    if not report.ok:
        return WriteResult(ok=False, dry_run=dry_run, diagnostics=report.diagnostics)
    contents = [(checked.path, checked.content) for checked in report.files]
    if dry_run:
        planned = [_planned(workspace, path, content) for path, content in contents]
        return WriteResult(ok=True, dry_run=True, files=planned, diagnostics=report.diagnostics)
    written = workspace.commit(contents, cancellation=cancellation)
    sizes = {path: len(content.encode()) for path, content in contents}
    if worklog is not None:
        for fact in written:
            worklog.record_write(fact)
    _log.debug("wrote %d file(s)%s", len(written), f": {reason}" if reason else "")
    return WriteResult(
        ok=True,
        files=[
            WrittenFile(path=f.path, sha256=f.sha256, action=f.action, bytes=sizes[f.path])
            for f in written
        ],
        diagnostics=report.diagnostics,
    )


def checked_paths(workspace: Workspace, changes: Sequence[FileChange]) -> list[FileChange]:
    """The change set with clean paths, once its size, every path and its content pass the policy.

    Every refused path is listed in one PathRefused, so the sender fixes them all at once.
    """
    if not changes:
        raise UsageError("the change set is empty; send at least one file")
    sizes = []
    for change in changes:
        try:
            sizes.append((change.path, len(change.content.encode("utf-8"))))
        except UnicodeEncodeError:
            raise UsageError(
                f"content of {change.path!r} is not valid Unicode text (lone surrogate); "
                "nothing was written"
            ) from None
    check_change_set(sizes)
    problems = []
    clean = []
    for change in changes:
        try:
            clean.append(
                FileChange(
                    path=workspace.check(change.path, change.content), content=change.content
                )
            )
        except PathRefused as refused:
            problems.append(str(refused))
    if problems:
        raise PathRefused("; ".join(problems) + ". Nothing was written.")
    return clean


def _planned(workspace: Workspace, path: str, content: str) -> WrittenFile:
    data = content.encode()
    exists = workspace.resolve(path).exists()
    return WrittenFile(
        path=path,
        sha256=sha256_hex(data),
        action="updated" if exists else "created",
        bytes=len(data),
    )
