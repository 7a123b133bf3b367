"""`validate_code`: the gate on sent files and on files already on disk, and the fixes it proposes.

Files on disk are read through the workspace (confined to the root, the read policy applies) and
checked exactly as if their content had been sent, so a finding a file already has does not block,
as for a write. With `fix`, each Python file gets the Dapr rules' fixers (`tools.validate.fixes`,
those behind `daprdev check --fix`) and then ruff's safe fixes, and the fixed set goes through the
gate. Nothing is written: each changed file comes back as a compact diff, which the agent applies
with `edit_files` - a read-only tool that wrote would let a write pass where the client only
grants reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.changes import FileChange
from tools.diffs import compact_diff
from tools.errors import PathRefused, UsageError
from tools.limits import MAX_FILES_PER_CALL, check_change_set
from tools.workspace import Workspace

if TYPE_CHECKING:
    from tools.validate.models import GateReport


@dataclass(frozen=True)
class Validation:
    """The gate's verdict on the (fixed) files, and one entry per file a fix changed."""

    report: GateReport
    fixes: list[str]


def validate(
    workspace: Workspace,
    files: Sequence[FileChange],
    paths: Sequence[str],
    *,
    fix: bool = False,
) -> Validation:
    """Run the gate on `files` and the files at `paths`; with `fix`, on their fixed content."""
    from tools.validate import check_changes  # the gate pulls in libcst and ruff

    changes = gate_input(workspace, files, paths)
    if not fix:
        report = check_changes(changes, root=workspace.root, config=workspace.config)
        return Validation(report=report, fixes=[])
    fixed, what = _fixed(workspace, changes)
    report = check_changes(fixed, root=workspace.root, config=workspace.config)
    # The diff ends where a write of the fixed content would: formatted by the gate.
    written = {checked.path: checked.content for checked in report.files}
    fixes = [
        f"{change.path}: fixed {what[change.path]}\n"
        + compact_diff(change.content, written[change.path], change.path)
        for change in changes
        if change.path in what
    ]
    return Validation(report=report, fixes=fixes)


def gate_input(
    workspace: Workspace, files: Sequence[FileChange], paths: Sequence[str]
) -> list[FileChange]:
    """The sent files (checked as a write checks them) and the files at `paths`, read from disk.

    Every refused path is named in one PathRefused, so the sender fixes them all at once.
    """
    if not files and not paths:
        raise UsageError(
            "nothing to check: send `files` (path and content) or `paths` (files on disk under "
            "the root), or both"
        )
    if len(files) + len(paths) > MAX_FILES_PER_CALL:
        raise UsageError(
            f"{len(files) + len(paths)} files in one call; check at most {MAX_FILES_PER_CALL}"
        )
    from tools.writer import checked_paths

    sent = checked_paths(workspace, files) if files else []
    read: list[FileChange] = []
    problems: list[str] = []
    for path in paths:
        try:
            clean = workspace.normalize(path)
            read.append(FileChange(path=clean, content=workspace.read_text(clean)))
        except (PathRefused, UsageError) as refused:
            problems.append(str(refused))
    if problems:
        raise PathRefused("; ".join(problems) + ". Nothing was checked.")
    changes = [*sent, *read]
    check_change_set([(c.path, len(c.content.encode("utf-8"))) for c in changes])
    return changes


def _fixed(
    workspace: Workspace, changes: list[FileChange]
) -> tuple[list[FileChange], dict[str, str]]:
    """The change set with every fix applied, and for each changed file what was fixed."""
    from tools.validate.fixes import fix_source
    from tools.validate.policy import is_python_file
    from tools.validate.ruff import safe_fixes

    config = workspace.config
    fixed: list[FileChange] = []
    what: dict[str, str] = {}
    for change in changes:
        if not is_python_file(change.path, change.content):
            fixed.append(change)
            continue
        result = fix_source(
            change.path,
            change.content,
            disabled=config.disabled_dapr_rules,
            target=config.target_version,
        )
        content = safe_fixes(
            change.path, result.source, ignores=config.ruff_ignores, target=config.target_version
        )
        fixed.append(FileChange(path=change.path, content=content))
        if content == change.content:
            continue
        counts = Counter(d.rule for d in result.fixed)
        done = [f"{rule} x{count}" if count > 1 else rule for rule, count in sorted(counts.items())]
        if content != result.source:
            done.append("ruff safe fixes")
        what[change.path] = ", ".join(done)
    return fixed, what
