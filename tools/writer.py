"""The one way daprdev writes files: paths checked, the gate run, then an all-or-nothing commit.

`daprdev generate`, the MCP server's `write_files`, the headless runner and the fixers all call
`write_changes`, so nothing reaches the disk without passing the same gate, and every write is
recorded as a fact in the caller's WorkLog (for Prompt History Records).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from tools.changes import Diagnostic, FileChange, FileEdit
from tools.diffs import compact_diff
from tools.errors import PathRefused, UsageError
from tools.limits import check_change_set
from tools.worklog import GateRun, WorkLog
from tools.workspace import Cancellation, Workspace, sha256_hex

_log = logging.getLogger(__name__)


class WrittenFile(BaseModel):
    """A file as written (dry run: as it would be). `formatted`: the gate reformatted what was
    sent, `formatting` shows how (update your copy); `diff`: what an edit changed on disk."""

    path: str
    sha256: str = Field(description="Of the content on disk.")
    action: Literal["created", "updated"]
    bytes: int
    formatted: bool = False
    formatting: str = ""
    diff: str = ""


class WriteResult(BaseModel):
    """Outcome of a change set; when `ok` is false the gate refused it and nothing was written."""

    ok: bool
    dry_run: bool = False
    files: list[WrittenFile] = Field(default_factory=list)
    deleted: list[str] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)


def write_changes(
    workspace: Workspace,
    changes: Sequence[FileChange],
    *,
    reason: str | None = None,
    worklog: WorkLog | None = None,
    dry_run: bool = False,
    cancellation: Cancellation | None = None,
    before: Mapping[str, str] | None = None,
    deletes: Mapping[str, str] | None = None,
) -> WriteResult:
    """Check and write a change set under the workspace's root, all files or none.

    Raises UsageError for a change set over the size bounds, PathRefused (every refused path
    listed) and SpecError (a spec file the spec model refuses) before the gate runs. When the
    gate finds a blocking problem the result has
    `ok=False`, its diagnostics, and nothing is written; otherwise the gate's formatted contents
    are committed atomically and recorded in `worklog`. With `before` (clean path -> the text on
    disk before), each file also carries a compact diff of what changed on disk. `deletes` (path ->
    the sha256 the file must still have) are deleted in the same change set, without the gate:
    nothing of them is left to judge.
    """
    gone = dict(deletes or {})
    clean = checked_paths(workspace, changes) if changes or not gone else []
    _refuse_deletes(workspace, gone)
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
    sent = {change.path: change.content for change in clean}
    if dry_run:
        planned = [_planned(workspace, path, content) for path, content in contents]
    else:
        written = workspace.commit(contents, deletes=gone, cancellation=cancellation)
        if worklog is not None:
            for fact in written:
                worklog.record_write(fact)
        _log.debug("wrote %d file(s)%s", len(written), f": {reason}" if reason else "")
        sizes = {path: len(content.encode()) for path, content in contents}
        planned = [
            WrittenFile(path=f.path, sha256=f.sha256, action=f.action, bytes=sizes[f.path])
            for f in written
            if f.action != "deleted"
        ]
    final = dict(contents)
    files = [_described(file, sent[file.path], final[file.path], before) for file in planned]
    return WriteResult(
        ok=True,
        dry_run=dry_run,
        files=files,
        deleted=[workspace.normalize(path) for path in gone],
        diagnostics=report.diagnostics,
    )


def _described(
    file: WrittenFile, sent: str, final: str, before: Mapping[str, str] | None
) -> WrittenFile:
    """`file` with what the model must know about the text on disk: reformatting, and changes."""
    update: dict[str, object] = {}
    if sent != final:
        update.update(formatted=True, formatting=compact_diff(sent, final, file.path))
    if before is not None and file.path in before:
        update["diff"] = compact_diff(before[file.path], final, file.path)
    return file.model_copy(update=update) if update else file


def edit_files(
    workspace: Workspace,
    edits: Sequence[FileEdit],
    *,
    reason: str | None = None,
    worklog: WorkLog | None = None,
    dry_run: bool = False,
    cancellation: Cancellation | None = None,
) -> WriteResult:
    """Apply exact-text edits (tools.edits) and write the result like any change set: through
    the gate, all files or none, each file reported with the diff of what changed on disk."""
    from tools.edits import apply_edits, as_changes

    edited = apply_edits(workspace, edits)
    return write_changes(
        workspace,
        as_changes(edited),
        reason=reason,
        worklog=worklog,
        dry_run=dry_run,
        cancellation=cancellation,
        before={file.path: file.before for file in edited},
    )


def checked_paths(workspace: Workspace, changes: Sequence[FileChange]) -> list[FileChange]:
    """The change set with clean paths, once its size, every path and its content pass the policy
    and each spec file in it passes the spec model (tools.spec_writes: SpecError otherwise).

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
    from tools.spec_writes import check_spec_writes  # the spec model, loaded with the first write

    check_spec_writes(workspace, clean)
    return clean


def _refuse_deletes(workspace: Workspace, deletes: Mapping[str, str]) -> None:
    """Every deletion the path policy refuses, in one PathRefused (as for written files)."""
    problems = []
    for path in deletes:
        try:
            workspace.resolve(path)
        except PathRefused as refused:
            problems.append(str(refused))
    if problems:
        raise PathRefused("; ".join(problems) + ". Nothing was written or deleted.")


def _planned(workspace: Workspace, path: str, content: str) -> WrittenFile:
    data = content.encode()
    exists = workspace.resolve(path).exists()
    return WrittenFile(
        path=path,
        sha256=sha256_hex(data),
        action="updated" if exists else "created",
        bytes=len(data),
    )
