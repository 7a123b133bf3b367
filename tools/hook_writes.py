"""Files Claude Code's own Write and Edit changed in the project, kept for the next PHR.

The MCP tools record what they write in the server's WorkLog; the main session's Write and Edit
never reach the server. Claude Code's PostToolUse hook (agent.post_tool_use) runs in a process of
its own after each such call, so what it sees is kept on disk: `.daprdev/hook-writes.json`,
written through the workspace's state files under the root lock (hooks of parallel calls run at
once).

Attribution: the next PHR created in the project - by any writer, the subagent's `create_phr`
included - takes and clears them, as a PHR closes its WorkLog's task, and lists them apart from
the files written through the MCP tools, each with who wrote it (the main session, or the
subagent Claude Code names). The server cannot tell which Claude Code agent asks for a PHR (they
share one connection), so a record says what was written meanwhile and by whom, rather than
guessing whose task it belonged to.

Bounded: one entry per file (a file written again replaces its entry), at most MAX_FILES; past
that the oldest entries go and are counted, so a long session costs at most MAX_STATE_BYTES.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from tools.worklog import WriteAction
from tools.workspace import Workspace

STATE_NAME = "hook-writes.json"
MAX_FILES = 200  # as many files as one change set may hold
MAX_PATH_CHARS = 4096  # PATH_MAX: a longer path is not a file the session could write
# Every entry at its longest (path, hash, names) fits; a larger file is not this module's.
MAX_STATE_BYTES = MAX_FILES * (MAX_PATH_CHARS + 512)
MAIN_SESSION = "the main session"


@dataclass(frozen=True)
class HookWrite:
    path: str  # from the project root, POSIX
    sha256: str  # of the file as the call left it
    action: WriteAction
    tool: str  # Write, Edit or MultiEdit
    by: str  # MAIN_SESSION or "subagent <type>"


@dataclass(frozen=True)
class HookWrites:
    files: tuple[HookWrite, ...] = ()
    dropped: int = 0  # older entries given up to stay within MAX_FILES


def record(root: Path, written: HookWrite) -> None:
    """Add one write (replacing the file's earlier entry) to what the next PHR takes."""
    workspace = Workspace(root)
    with workspace.locked():
        _save(workspace, _added(_load(workspace), [written]))


def take(root: Path) -> HookWrites:
    """The writes recorded so far; the next PHR starts from none."""
    workspace = Workspace(root)
    if workspace.read_state(STATE_NAME, limit=MAX_STATE_BYTES) is None:
        return HookWrites()  # no state at all: nothing to lock or clear (no .daprdev/ made)
    with workspace.locked():
        writes = _load(workspace)
        if writes.files or writes.dropped:
            _save(workspace, HookWrites())
        return writes


def put_back(root: Path, writes: HookWrites) -> None:
    """Return taken writes (their PHR failed) before the ones recorded since."""
    if not (writes.files or writes.dropped):
        return
    workspace = Workspace(root)
    with workspace.locked():
        later = _load(workspace)
        restored = _added(replace(writes, dropped=writes.dropped + later.dropped), later.files)
        _save(workspace, restored)


@contextlib.contextmanager
def taken(root: Path) -> Iterator[HookWrites]:
    """`take`, with the writes put back when the block raises: a failed PHR loses nothing."""
    writes = take(root)
    try:
        yield writes
    except BaseException:
        put_back(root, writes)
        raise


def _added(writes: HookWrites, new: Iterable[HookWrite]) -> HookWrites:
    files = {entry.path: entry for entry in writes.files}
    for entry in new:
        previous = files.pop(entry.path, None)
        # Created earlier, a file stays "created" however often it is written again.
        created = previous is not None and previous.action == "created"
        files[entry.path] = replace(entry, action="created") if created else entry  # newest last
    kept = list(files.values())
    over = max(0, len(kept) - MAX_FILES)
    return HookWrites(files=tuple(kept[over:]), dropped=writes.dropped + over)


def _load(workspace: Workspace) -> HookWrites:
    raw = workspace.read_state(STATE_NAME, limit=MAX_STATE_BYTES)
    if raw is None:
        return HookWrites()
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return HookWrites()  # damaged: only a record of writes is lost, never a write
    if not isinstance(data, dict):
        return HookWrites()
    entries = data.get("files")
    files = [entry for entry in map(_entry, entries if isinstance(entries, list) else []) if entry]
    dropped = data.get("dropped")
    return _added(
        HookWrites(dropped=dropped if isinstance(dropped, int) and dropped > 0 else 0), files
    )


def _entry(data: Any) -> HookWrite | None:
    if not isinstance(data, dict):
        return None
    path, sha256, action, tool, by = (
        data.get(name) for name in ("path", "sha256", "action", "tool", "by")
    )
    if not all(isinstance(value, str) and value for value in (path, sha256, tool, by)):
        return None
    if action not in ("created", "updated") or len(path) > MAX_PATH_CHARS:
        return None
    return HookWrite(path=path, sha256=sha256, action=action, tool=tool, by=by)


def _save(workspace: Workspace, writes: HookWrites) -> None:
    data = {
        "files": [asdict(entry) for entry in writes.files],
        "dropped": writes.dropped,
    }
    workspace.write_state(STATE_NAME, json.dumps(data, ensure_ascii=False).encode("utf-8"))
