"""Exact-text edits turned into a change set: the files as they would be after the replacements.

An edit names text that must occur exactly once in the file as it stands (after the earlier edits of
the same call), or every occurrence with `replace_all`. Anything else is refused before the gate
runs, with where the nearest text is, so the model can correct its copy in one more try; nothing is
written then.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.changes import FileChange, FileEdit
from tools.errors import PathRefused, UsageError
from tools.limits import MAX_EDITS_PER_CALL, MAX_FILE_BYTES

if TYPE_CHECKING:  # the Claude Code hook checks replacements without loading the workspace
    from tools.workspace import Workspace

# Where an ambiguous `old` occurs, the first few lines are named; more would only be noise.
_SHOWN_OCCURRENCES = 5


@dataclass(frozen=True)
class EditedFile:
    """A file of the call: its content on disk before, and the content the edits produce."""

    path: str
    before: str
    after: str


def apply_edits(workspace: Workspace, edits: Sequence[FileEdit]) -> list[EditedFile]:
    """Every edited file with its new content, in first-mentioned order; UsageError (every problem
    of the call listed) when an edit cannot apply."""
    if not edits:
        raise UsageError("no edits given; send at least one {path, old, new}")
    if len(edits) > MAX_EDITS_PER_CALL:
        raise UsageError(
            f"{len(edits)} edits in one call; send at most {MAX_EDITS_PER_CALL}. "
            "Nothing was written."
        )
    texts: dict[str, str] = {}  # by clean path, as the edits so far leave it
    originals: dict[str, str] = {}
    problems: list[str] = []
    for number, edit in enumerate(edits, start=1):
        where = f"edit {number} ({edit.path})"
        if len(edit.old.encode()) > MAX_FILE_BYTES or len(edit.new.encode()) > MAX_FILE_BYTES:
            problems.append(f"{where}: `old` and `new` may hold at most {MAX_FILE_BYTES} bytes")
            continue
        try:
            path = _readable(workspace, edit.path, texts, originals)
        except PathRefused as error:
            problems.append(f"{where}: {error}")
            continue
        except UsageError as error:
            problems.append(f"{where}: {error}; create new files with write_files")
            continue
        problem = _problem(edit, texts[path])
        if problem is not None:
            problems.append(f"{where}: {problem}")
            continue
        texts[path] = texts[path].replace(edit.old, edit.new, -1 if edit.replace_all else 1)
    if problems:
        raise UsageError("; ".join(problems) + ". Nothing was written.")
    return [EditedFile(path, originals[path], text) for path, text in texts.items()]


def _readable(
    workspace: Workspace, rel: str, texts: dict[str, str], originals: dict[str, str]
) -> str:
    """The clean path of `rel`, its text loaded on first mention."""
    path = workspace.normalize(rel)
    if path not in texts:
        # The write policy first: a file the model may not write is not even read, so no hint
        # can show a line of it.
        workspace.resolve(path)
        texts[path] = originals[path] = workspace.read_text(path)
    return path


def as_changes(files: Sequence[EditedFile]) -> list[FileChange]:
    return [FileChange(path=f.path, content=f.after) for f in files]


@dataclass(frozen=True)
class Fields:
    """What the caller's tool calls the replaced and the replacing text, for the problems."""

    old: str = "`old`"
    new: str = "`new`"


def replacement_problem(
    text: str, old: str, new: str, *, replace_all: bool, fields: Fields = Fields()
) -> str | None:
    """Why replacing `old` with `new` in `text` cannot apply (None: it can): `old` must occur,
    exactly once unless `replace_all`, and differ from `new`; where it does not occur, the
    problem says where the text meant probably is. `old` is not empty (the caller's to decide)."""
    if old == new:
        return f"{fields.old} and {fields.new} are the same; the edit would change nothing"
    count = text.count(old)
    if count == 0:
        return f"{fields.old} does not occur in the file; " + _nearest(text, old)
    if count > 1 and not replace_all:
        lines = _occurrence_lines(text, old)
        shown = ", ".join(map(str, lines[:_SHOWN_OCCURRENCES]))
        more = f" and {count - _SHOWN_OCCURRENCES} more" if count > _SHOWN_OCCURRENCES else ""
        return (
            f"{fields.old} occurs {count} times (lines {shown}{more}); add surrounding lines to "
            "make it unique, or set replace_all"
        )
    return None


def _problem(edit: FileEdit, text: str) -> str | None:
    if not edit.old:
        return "`old` is empty; name the text to replace (to write a whole file use write_files)"
    return replacement_problem(text, edit.old, edit.new, replace_all=edit.replace_all)


def _occurrence_lines(text: str, old: str) -> list[int]:
    lines = []
    start = text.find(old)
    while start != -1:
        lines.append(text.count("\n", 0, start) + 1)
        start = text.find(old, start + len(old))
    return lines


def _nearest(text: str, old: str) -> str:
    """Where the text the model meant probably is: the same lines with other whitespace, or the
    line most like its first line."""
    lines = text.splitlines()
    wanted = old.splitlines() or [old]

    def squeeze(line: str) -> str:
        return " ".join(line.split())

    squeezed = "\n".join(map(squeeze, lines))
    index = squeezed.find("\n".join(map(squeeze, wanted)))
    if index != -1 and any(map(str.strip, wanted)):
        line = squeezed.count("\n", 0, index) + 1
        return (
            f"the same text is at line {line} with different whitespace (indentation, tabs or "
            "line endings): copy it exactly as the file has it"
        )
    first = next((line.strip() for line in wanted if line.strip()), "")
    candidates = {line.strip(): number for number, line in reversed(list(enumerate(lines, 1)))}
    close = difflib.get_close_matches(first, list(candidates), n=1, cutoff=0.6) if first else []
    if not close:
        return "nothing in it is close; read the file again before editing"
    number = candidates[close[0]]
    return f"the closest text is line {number}: {lines[number - 1].strip()[:200]!r}"
