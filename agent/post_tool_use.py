"""Claude Code's PostToolUse hook: what the main session wrote, kept for the next PHR.

After a Write, Edit or MultiEdit went through, it records the file (from the project root), its
sha256 as the call left it and who wrote it (tools.hook_writes, which says how the next PHR takes
them). Claude Code runs it only for calls that succeeded.

It never blocks: it always exits 0. The call has already happened, so there is nothing left to
prevent; exit 2 would hand stderr to the model as if the write had gone wrong, and a record it
could not make costs one line of a PHR, never a write. What went wrong goes to stderr, which
Claude Code shows in its debug output.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from agent.hooks import ALLOW, GATED_TOOLS, MAX_PAYLOAD_BYTES, Decision
from tools.worklog import WriteAction

_NOT_RECORDED = "daprdev post-tool-use: not recorded for the next PHR"
_HASH_CHUNK = 1 << 16


def post_tool_use(raw: bytes, *, project_dir: str | None) -> Decision:
    """Record the write of one PostToolUse payload (`raw`: the hook's stdin); always ALLOW."""
    try:
        problem = _record(raw, project_dir)
    except Exception as error:  # a bug of daprdev's: said, and still not blocking
        problem = f"internal error {type(error).__name__}: {error}"
    return Decision(ALLOW, f"{_NOT_RECORDED}: {problem}" if problem else "")


def _record(raw: bytes, project_dir: str | None) -> str:
    """What kept the write from being recorded; "" when it was (or is not daprdev's business)."""
    from tools.hook_writes import MAIN_SESSION, MAX_PATH_CHARS, HookWrite, record

    if len(raw) > MAX_PAYLOAD_BYTES:
        return f"the hook input holds more than {MAX_PAYLOAD_BYTES} bytes"
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"the hook input is not JSON ({error})"
    if not isinstance(payload, dict):
        return "the hook input is not a JSON object"
    tool = payload.get("tool_name")
    if tool not in GATED_TOOLS:
        return ""
    tool_input = _object(payload.get("tool_input"))
    file_path = tool_input.get("file_path")
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    root_given = project_dir or cwd
    if not isinstance(file_path, str) or not file_path or not root_given:
        return f"the {tool} input names no file_path or no project"
    root = Path(os.path.realpath(root_given))
    path = Path(file_path).expanduser()
    real = Path(os.path.realpath(path if path.is_absolute() else Path(cwd or root) / path))
    if not real.is_relative_to(root) or real == root:
        return ""  # outside the project: not its history
    relative = real.relative_to(root).as_posix()
    if len(relative) > MAX_PATH_CHARS:
        return f"the path is longer than {MAX_PATH_CHARS} characters"
    try:
        digest = _sha256(real)
    except OSError as error:
        return f"{relative} cannot be read ({error.strerror or error})"
    agent = payload.get("agent_type") if payload.get("agent_id") else None
    written = HookWrite(
        path=relative,
        sha256=digest,
        action=_action(tool, _object(payload.get("tool_response"))),
        tool=tool,
        by=f"subagent {agent}" if isinstance(agent, str) and agent else MAIN_SESSION,
    )
    try:
        record(root, written)
    except OSError as error:
        return f"{relative}: the record could not be saved ({error.strerror or error})"
    return ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _action(tool: str, response: dict[str, Any]) -> WriteAction:
    # Claude Code's Write answers with `type` "create" or "update"; an Edit changes a file that
    # was there (an Edit with an empty old_string that makes one is rare enough to call updated).
    return "created" if tool == "Write" and response.get("type") == "create" else "updated"


def _sha256(path: Path) -> str:
    # Not through a symlink, and never waiting on a FIFO or a device put where the file was.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        digest = hashlib.sha256()
        while chunk := file.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
