"""Collision-free record ids: per-folder max+1, four digits, claimed by exclusive file creation.

Spec-Kit Plus picks `max + 1` and copies a file, so two agents working at once can take the same id.
Here an id is *claimed* first by creating a hidden marker `.NNNN.claim` with O_EXCL — only one
writer, thread or process, can create it — and the record is then published under its final name
with an exclusive hard link of a fully written temporary file, so a reader never sees half a record
and nothing is ever overwritten. Claims count as taken while they exist, so the other writers move
on to the next number instead of spinning.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from tools.errors import HistoryError
from tools.history.layout import format_id

_CLAIM = re.compile(r"^\.(\d{4})\.claim$")
_MAX_ID = 9999
# Every failed attempt means another writer made progress, so this bounds only pathological cases.
_MAX_ATTEMPTS = 20_000


def _ids(names: Iterable[str], pattern: re.Pattern[str]) -> set[int]:
    return {int(match.group(1)) for name in names if (match := pattern.match(name))}


def create_numbered(
    folder: Path,
    *,
    record_pattern: re.Pattern[str],
    file_name: Callable[[str], str],
    render: Callable[[str], str],
) -> tuple[str, Path]:
    """Create a new record in `folder` under the next free id and return `(id, path)`.

    `record_pattern` matches the names of records that count for numbering (group 1 is the id),
    `file_name(id)` names the new file and `render(id)` produces its full text.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(_MAX_ATTEMPTS):
        names = [entry.name for entry in folder.iterdir()]
        taken = _ids(names, record_pattern) | _ids(names, _CLAIM)
        number = max(taken, default=0) + 1
        if number > _MAX_ID:
            raise HistoryError(
                f"{folder} already holds id {format_id(_MAX_ID)}; four-digit ids are exhausted. "
                "Start a new folder (for PHRs, a new feature) or renumber old records."
            )
        record_id = format_id(number)
        claim = folder / f".{record_id}.claim"
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            continue
        try:
            # The id may have been published and its claim released between our listing and our
            # claim.
            if number in _ids((entry.name for entry in folder.iterdir()), record_pattern):
                continue
            path = folder / file_name(record_id)
            try:
                _publish(path, render(record_id))
            except FileExistsError:  # written by a tool that does not claim ids; take the next one
                continue
            return record_id, path
        finally:
            claim.unlink(missing_ok=True)
    raise HistoryError(
        f"could not allocate an id in {folder}: too many concurrent writers; try again"
    )


def _publish(path: Path, text: str) -> None:
    """Write `text` to a new file at `path`, all or nothing, never replacing an existing file."""
    temporary = path.with_name(f".{uuid.uuid4().hex}.tmp")
    with temporary.open("x", encoding="utf-8", newline="") as handle:
        handle.write(text)
    try:
        os.link(temporary, path)
    finally:
        temporary.unlink()


def replace_file(path: Path, text: str) -> None:
    """Rewrite an existing file atomically (readers see the old or the new text, never a mix)."""
    temporary = path.with_name(f".{uuid.uuid4().hex}.tmp")
    with temporary.open("x", encoding="utf-8", newline="") as handle:
        handle.write(text)
    temporary.replace(path)
