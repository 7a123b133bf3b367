"""`daprdev hook post-tool-use` on PostToolUse payloads shaped as Claude Code 2.1.327 sends them,
and the PHR that takes what it recorded.

A PostToolUse payload is the PreToolUse one plus `tool_response` (Write: `type` "create" or
"update", `filePath`, ...); a call made inside a subagent also carries `agent_id` and
`agent_type`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.hooks import ALLOW
from agent.post_tool_use import post_tool_use
from tools import hook_writes
from tools.errors import DaprdevError
from tools.history import check_history, create_phr
from tools.worklog import FileWritten, WorkLog

GOOD = '"""Task events."""\n\nTASKS = "tasks"\n'
REPOSITORY = Path(__file__).resolve().parents[3]


def payload(project: Path, tool: str, response: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps(
        {
            "session_id": "16554c20-f3ba-4bbc-83e2-071ec2045ed5",
            "transcript_path": str(project.parent / "transcript.jsonl"),
            "cwd": str(project),
            "permission_mode": "acceptEdits",
            "hook_event_name": "PostToolUse",
            "tool_name": tool,
            "tool_input": {"file_path": str(project / "app/events.py"), "content": GOOD},
            "tool_response": response,
            "tool_use_id": "toolu_0001",
            **extra,
        }
    ).encode()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app/events.py").write_text(GOOD)
    return root


def phr(root: Path, worklog: WorkLog | None = None, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "title": "Record the main session",
        "stage": "general",
        "prompt": "Add the task events.",
        "response": "Added them.",
        "branch": "main",
        "user": "tester",
        "worklog": worklog,
    }
    record = create_phr(root, **{**arguments, **overrides})
    return (root / record.path).read_text()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_write_of_the_main_session_goes_to_the_next_phr_only(project: Path) -> None:
    created = payload(project, "Write", {"type": "create", "filePath": "app/events.py"})
    assert post_tool_use(created, project_dir=str(project)).code == ALLOW

    gated = WorkLog()
    gated.record_write(FileWritten("app/producer.py", "a" * 64, "created"))
    first = phr(project, gated)
    assert "`app/events.py` created by the main session's Write" in first
    assert sha(GOOD) in first
    assert "`app/producer.py` created, sha256" in first  # the MCP tools' writes, apart
    assert "1 file(s) written with Claude Code's Write/Edit" in first
    assert '  - "app/events.py"' in first.split("---")[1]  # in the front matter's files
    assert check_history(project) == []  # the record is one daprdev's checker accepts

    second = phr(project, title="Record the next task")
    assert "app/events.py" not in second


def test_a_file_written_again_is_one_entry_with_its_last_hash(project: Path) -> None:
    post_tool_use(payload(project, "Write", {"type": "create"}), project_dir=str(project))
    (project / "app/events.py").write_text(GOOD + "EVENTS = 1\n")
    post_tool_use(payload(project, "Edit", {}), project_dir=str(project))
    [entry] = hook_writes.take(project).files
    assert (entry.action, entry.tool, entry.sha256) == (
        "created",
        "Edit",
        sha(GOOD + "EVENTS = 1\n"),
    )


def test_a_subagents_write_is_named_after_the_subagent(project: Path) -> None:
    inside = payload(project, "Edit", {}, agent_id="a1b2", agent_type="general-purpose")
    post_tool_use(inside, project_dir=str(project))
    assert "updated by subagent general-purpose's Edit" in phr(project)


def test_a_failed_phr_puts_the_writes_back(project: Path) -> None:
    post_tool_use(payload(project, "Write", {"type": "update"}), project_dir=str(project))
    with pytest.raises(DaprdevError):
        phr(project, prompt="   ")
    assert "`app/events.py` updated by the main session's Write" in phr(project)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"tool_name": "Write", "tool_input": {}}).encode(),
        b"x" * (2 * (8 << 20) + 1),
    ],
)
def test_a_payload_it_cannot_read_is_said_and_never_blocks(project: Path, raw: bytes) -> None:
    decision = post_tool_use(raw, project_dir=str(project))
    assert decision.code == ALLOW
    assert "not recorded for the next PHR" in decision.message
    assert hook_writes.take(project).files == ()


def test_other_tools_files_outside_and_vanished_files_record_nothing(
    project: Path, tmp_path: Path
) -> None:
    bash = json.loads(payload(project, "Bash", {}))
    outside = json.loads(payload(project, "Write", {"type": "create"}))
    outside["tool_input"]["file_path"] = str(tmp_path / "elsewhere.py")
    (tmp_path / "elsewhere.py").write_text(GOOD)
    for data in (bash, outside):
        decision = post_tool_use(json.dumps(data).encode(), project_dir=str(project))
        assert (decision.code, decision.message) == (ALLOW, "")
    (project / "app/events.py").unlink()
    gone = post_tool_use(payload(project, "Write", {}), project_dir=str(project))
    assert gone.code == ALLOW and "cannot be read" in gone.message
    assert not (project / ".daprdev").exists()  # nothing recorded: no state made


def test_a_long_session_keeps_the_newest_files_and_counts_the_rest(project: Path) -> None:
    extra = 5
    for number in range(hook_writes.MAX_FILES + extra):
        hook_writes.record(
            project,
            hook_writes.HookWrite(f"app/m{number}.py", "b" * 64, "created", "Write", "x"),
        )
    state = project / ".daprdev" / hook_writes.STATE_NAME
    assert state.stat().st_size <= hook_writes.MAX_STATE_BYTES
    writes = hook_writes.take(project)
    assert len(writes.files) == hook_writes.MAX_FILES
    assert writes.dropped == extra
    assert writes.files[0].path == f"app/m{extra}.py"  # the oldest went


def test_a_damaged_record_is_started_again(project: Path) -> None:
    (project / ".daprdev").mkdir()
    (project / ".daprdev" / hook_writes.STATE_NAME).write_text("{not json")
    post_tool_use(payload(project, "Write", {"type": "create"}), project_dir=str(project))
    assert [entry.path for entry in hook_writes.take(project).files] == ["app/events.py"]


def _hook_process(event: str, data: bytes, project: Path) -> subprocess.CompletedProcess[bytes]:
    # As the installed `daprdev` script runs it (agent.entry), reporting what it imported.
    script = (
        "import sys, atexit\n"
        "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sys.modules) + '\\n'))\n"
        f"sys.argv = ['daprdev', 'hook', {event!r}]\n"
        "from agent.entry import main\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        input=data,
        capture_output=True,
        env={**os.environ, "CLAUDE_PROJECT_DIR": str(project)},
        cwd=REPOSITORY,
        check=False,
        timeout=120,
    )


def test_the_hook_processes_start_without_the_command_line(project: Path) -> None:
    for event in ("pre-tool-use", "post-tool-use"):
        done = _hook_process(event, payload(project, "Write", {"type": "create"}), project)
        assert done.returncode == 0, done.stderr.decode()
        modules = done.stderr.decode().rsplit("MODULES ", 1)[1].split()
        loaded = {name.split(".")[0] for name in modules} | set(modules)
        assert not loaded & {"typer", "click", "rich", "agent.cli", "mcp", "anthropic"}, event
    assert [entry.path for entry in hook_writes.take(project).files] == ["app/events.py"]


def test_the_post_hook_process_exits_0_on_garbage(project: Path) -> None:
    done = _hook_process("post-tool-use", b"\xff\xfe garbage", project)
    assert done.returncode == 0
    assert b"not recorded for the next PHR" in done.stderr
