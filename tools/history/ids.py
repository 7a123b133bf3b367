"""Collision-free record ids: per-folder max+1, four digits, taken under the workspace's lock.

Spec-Kit Plus picks `max + 1` and copies a file, so two agents working at once can take the same id.
Here the folder is listed and the record created while holding the workspace's root lock (a thread
lock plus an flock, so other processes wait too), and the record is created exclusively through
the workspace's journal: it never overwrites a file, never follows a symlink out of the root, and
a reader never sees half a record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from tools.errors import HistoryError
from tools.history.layout import format_id
from tools.workspace import Workspace, Writer

_MAX_ID = 9999


def _ids(names: Iterable[str], pattern: re.Pattern[str]) -> set[int]:
    return {int(match.group(1)) for name in names if (match := pattern.match(name))}


def create_numbered(
    root: Path,
    folder: Path,
    *,
    record_pattern: re.Pattern[str],
    file_name: Callable[[str], str],
    render: Callable[[str], str],
    companions: Callable[[str], Sequence[tuple[str, str]]] | None = None,
) -> tuple[str, Path]:
    """Create a new record in `folder` (under `root`) with the next free id; `(id, path)`.

    `record_pattern` matches the names of records that count for numbering (group 1 is the id),
    `file_name(id)` names the new file and `render(id)` produces its full text. `companions(id)`,
    asked under the same lock, gives other files (root-relative path, text) that change with the
    record, such as the record it supersedes: they are written in the record's own change set, so
    either all of them are on disk or none.
    """
    workspace = Workspace(root)
    rel = folder.relative_to(root).as_posix()
    with workspace.locked():
        number = max(_ids(workspace.names_in(rel), record_pattern), default=0) + 1
        if number > _MAX_ID:
            raise HistoryError(
                f"{rel} already holds id {format_id(_MAX_ID)}; four-digit ids are exhausted. "
                "Start a new folder (for PHRs, a new feature) or renumber old records."
            )
        record_id = format_id(number)
        name = f"{rel}/{file_name(record_id)}"
        others = companions(record_id) if companions is not None else ()
        workspace.commit(
            [(name, render(record_id)), *others], writer=Writer.HISTORY, exclusive={name}
        )
    return record_id, workspace.root / name


def replace_file(root: Path, path: Path, text: str) -> None:
    """Rewrite an existing record atomically (readers see the old or the new text, never a mix)."""
    Workspace(root).commit([(path.relative_to(root).as_posix(), text)], writer=Writer.HISTORY)
