"""Claude Code's PreToolUse hook: the gate before the main session's own Write and Edit.

The subagent reaches disk only through the gated MCP tools; the main session (or any other agent
in the project) has Claude Code's Write and Edit. This hook runs before those: it computes the file
as the call would leave it and runs the same gate as `write_files` - diff-aware against the file on
disk, suppressions counted only where the file already has them - and refuses the call (exit code
2, the compact diagnostics on stderr, which Claude Code hands to the model) when it blocks.

It fails closed: a payload it cannot read, an edit it cannot compute or an error of its own blocks
the call with a message saying so. Claude Code lets a call go ahead when a hook exits with any
other code, so an error that escaped would silently let ungated code in - the one thing the hook
exists to prevent. Calls that are not the gate's business (other tools, files outside the project)
pass.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tools.changes import FileChange
from tools.edits import Fields, replacement_problem
from tools.errors import DaprdevError
from tools.limits import MAX_CALL_BYTES, MAX_EDITS_PER_CALL, check_change_set

# Claude Code's exit codes for a command hook: 0 lets the call go ahead, 2 blocks it and shows
# stderr to the model; any other code is a non-blocking error (the call goes ahead).
ALLOW = 0
BLOCK = 2
# The tools whose calls the hook judges (MultiEdit: Claude Code versions that still have it).
GATED_TOOLS = ("Write", "Edit", "MultiEdit")
MATCHER = "|".join(GATED_TOOLS)
# A payload carries one file's content (or its edits) and some metadata: twice the change-set
# bound is more than any call the gate would accept.
MAX_PAYLOAD_BYTES = 2 * MAX_CALL_BYTES
PROJECT_ENV = "CLAUDE_PROJECT_DIR"  # set by Claude Code for every hook it runs

_FAILED_CLOSED = (
    "The daprdev gate hook could not check this call, so it is blocked (the hook fails closed: "
    "an unchecked write could bypass the gate)"
)


@dataclass(frozen=True)
class Decision:
    """What the hook answers: its exit code and the text for stderr."""

    code: int
    message: str = ""

    @property
    def blocked(self) -> bool:
        return self.code == BLOCK


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Payload(_Input):
    tool_name: str
    tool_input: dict[str, Any]
    cwd: str | None = None


class _WriteInput(_Input):
    file_path: str
    content: str


class _Replacement(_Input):
    old_string: str
    new_string: str
    replace_all: bool = False


class _EditInput(_Replacement):
    file_path: str


class _MultiEditInput(_Input):
    file_path: str
    edits: list[_Replacement]


_M = TypeVar("_M", bound=BaseModel)


class _Uncheckable(Exception):
    """The call cannot be judged as sent; the message says why."""


def pre_tool_use(raw: bytes, *, project_dir: str | None) -> Decision:
    """The decision on one PreToolUse payload (`raw`: the hook's stdin, as bytes)."""
    try:
        return _judge(raw, project_dir)
    except _Uncheckable as problem:
        return Decision(BLOCK, f"{_FAILED_CLOSED}: {problem}.")
    except DaprdevError as error:
        return Decision(BLOCK, f"{_FAILED_CLOSED}: {error}")
    except Exception as error:  # a bug of daprdev's: still decided, and said
        detail = f"{type(error).__name__}: {error}".rstrip(": ")
        return Decision(
            BLOCK,
            f"{_FAILED_CLOSED}: internal error {detail}. Tell the user; `daprdev doctor` "
            "checks the installation.",
        )


def _judge(raw: bytes, project_dir: str | None) -> Decision:
    payload = _payload(raw)
    if payload.tool_name not in GATED_TOOLS:
        return Decision(ALLOW)
    root = _project_root(project_dir, payload.cwd)
    file_path = _file_path(payload)
    target = _absolute(file_path, payload.cwd, root)
    real = Path(os.path.realpath(target))
    if not real.is_relative_to(root):
        return Decision(ALLOW)  # outside the project: not the gate's files
    relative = real.relative_to(root).as_posix()
    content = _content_after(payload, real)
    return _gate(root, relative, content)


def _payload(raw: bytes) -> _Payload:
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise _Uncheckable(f"the hook input holds {len(raw)} bytes, more than {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _Uncheckable(f"the hook input is not JSON ({error})") from None
    return _parsed(_Payload, data, "the hook input")


def _parsed(model: type[_M], data: Any, what: str) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in error.errors()[:5]
        )
        raise _Uncheckable(
            f"{what} does not have the shape this daprdev knows ({problems}); a newer Claude "
            "Code may need a newer daprdev"
        ) from None


def _project_root(project_dir: str | None, cwd: str | None) -> Path:
    given = project_dir or cwd
    if not given:
        raise _Uncheckable(f"neither {PROJECT_ENV} nor the input's cwd names the project")
    root = Path(os.path.realpath(given))
    if not root.is_dir():
        raise _Uncheckable(f"the project folder {given} does not exist")
    return root


def _file_path(payload: _Payload) -> str:
    value = payload.tool_input.get("file_path")
    if not isinstance(value, str) or not value:
        raise _Uncheckable(f"the {payload.tool_name} call names no file_path")
    return value


def _absolute(file_path: str, cwd: str | None, root: Path) -> Path:
    path = Path(file_path).expanduser()
    return path if path.is_absolute() else Path(cwd or root) / path


def _content_after(payload: _Payload, real: Path) -> str:
    """The file's text as the call would leave it."""
    if payload.tool_name == "Write":
        return _parsed(_WriteInput, payload.tool_input, "the Write input").content
    if payload.tool_name == "Edit":
        edit = _parsed(_EditInput, payload.tool_input, "the Edit input")
        replacements = [_Replacement.model_validate(edit.model_dump())]
    else:
        replacements = _parsed(_MultiEditInput, payload.tool_input, "the MultiEdit input").edits
        if len(replacements) > MAX_EDITS_PER_CALL:
            raise _Uncheckable(f"{len(replacements)} edits; at most {MAX_EDITS_PER_CALL}")
    text = _current_text(real)
    for number, replacement in enumerate(replacements, start=1):
        text = _replaced(text, replacement, number if len(replacements) > 1 else None)
    return text


def _current_text(real: Path) -> str:
    if not real.exists():
        return ""
    if not real.is_file():
        raise _Uncheckable(f"{real} is not a regular file")
    check_change_set([(real.name, real.stat().st_size)])
    try:
        return real.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _Uncheckable(f"{real} is not UTF-8 text") from None


def _replaced(text: str, edit: _Replacement, number: int | None) -> str:
    """`text` after one replacement, as Claude Code's Edit applies it: `old_string` must occur
    (exactly once unless `replace_all`); an empty one creates an empty or missing file."""
    where = f"edit {number}: " if number is not None else ""
    if not edit.old_string:
        if text:
            raise _Uncheckable(f"{where}old_string is empty but the file is not")
        return edit.new_string
    problem = replacement_problem(
        text, edit.old_string, edit.new_string, replace_all=edit.replace_all, fields=_FIELDS
    )
    if problem is not None:
        raise _Uncheckable(f"{where}{problem} (as it is on disk)")
    return text.replace(edit.old_string, edit.new_string, -1 if edit.replace_all else 1)


_FIELDS = Fields(old="old_string", new="new_string")


def _gate(root: Path, relative: str, content: str) -> Decision:
    # The gate pulls in libcst and ruff: loaded only for a call it judges.
    from tools.findings import compact
    from tools.validate import check_changes
    from tools.validate.config import load_config

    try:
        size = len(content.encode("utf-8"))
    except UnicodeEncodeError:
        raise _Uncheckable("the new content is not valid Unicode text (lone surrogate)") from None
    check_change_set([(relative, size)])
    report = check_changes(
        [FileChange(path=relative, content=content)], root=root, config=load_config(root)
    )
    if report.ok:
        return Decision(ALLOW)
    blocking = [d for d in report.diagnostics if d.blocking]
    lines = [
        f"Blocked by the daprdev gate (nothing was written): {len(blocking)} blocking "
        f"problem(s) in {relative}; fix them and resend:",
        *(compact(d) for d in blocking),
    ]
    return Decision(BLOCK, "\n".join(lines))
