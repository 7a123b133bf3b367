"""`agent.hooks.pre_tool_use` on PreToolUse payloads shaped as Claude Code 2.1.327 sends them.

The payload fields (session_id, transcript_path, cwd, permission_mode, hook_event_name,
tool_name, tool_input, tool_use_id) are those the real CLI sent to a hook; tool_input is the
tool's own arguments (Write: file_path, content; Edit: file_path, old_string, new_string,
replace_all).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.hooks import ALLOW, BLOCK, MAX_PAYLOAD_BYTES, pre_tool_use
from tools.validate.policy import INFRA_FILE, KUBERNETES_MANIFEST

SYNC_CLIENT = "DAPR001"
BAD = (
    '"""Greets through a sidecar."""\n\n'
    "from dapr.clients import DaprClient\n\n\n"
    "async def greet(name: str) -> None:\n"
    "    with DaprClient() as client:\n"
    '        client.save_state("statestore", name, "hello")\n'
)
GOOD = (
    '"""Task events."""\n\nfrom pydantic import BaseModel\n\n\n'
    "class TaskCreated(BaseModel):\n    task_id: str\n"
)
# An existing module that already has the finding: editing something else in it passes.
LEGACY = BAD + "\n\nGREETING = 'hello'\n"


def payload(project: Path, tool: str, **tool_input: Any) -> bytes:
    return json.dumps(
        {
            "session_id": "16554c20-f3ba-4bbc-83e2-071ec2045ed5",
            "transcript_path": str(project.parent / "transcript.jsonl"),
            "cwd": str(project),
            "prompt_id": "1e27da33-0518-41fb-a179-f6379df69815",
            "permission_mode": "acceptEdits",
            "effort": {"level": "medium"},
            "hook_event_name": "PreToolUse",
            "tool_name": tool,
            "tool_input": tool_input,
            "tool_use_id": "toolu_0001",
        }
    ).encode()


def write(project: Path, path: str, content: str) -> bytes:
    return payload(project, "Write", file_path=str(project / path), content=content)


def edit(project: Path, path: str, old: str, new: str, *, replace_all: bool = False) -> bytes:
    return payload(
        project,
        "Edit",
        file_path=str(project / path),
        old_string=old,
        new_string=new,
        replace_all=replace_all,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    return root


def decide(project: Path, raw: bytes) -> tuple[int, str]:
    decision = pre_tool_use(raw, project_dir=str(project))
    return decision.code, decision.message


def test_a_write_with_a_blocking_finding_is_blocked_with_rule_line_fix_and_excerpt(
    project: Path,
) -> None:
    code, message = decide(project, write(project, "app/greeter.py", BAD))
    assert code == BLOCK
    assert f"app/greeter.py:3:26 {SYNC_CLIENT}" in message
    assert "fix: Import `DaprClient` from `dapr.aio.clients`" in message
    assert "> 3 █ from dapr.clients import DaprClient" in message
    assert not (project / "app/greeter.py").exists()


def test_a_clean_write_is_allowed_silently(project: Path) -> None:
    assert decide(project, write(project, "app/events.py", GOOD)) == (ALLOW, "")


def test_a_write_relative_to_cwd_is_judged_as_the_project_file(project: Path) -> None:
    raw = payload(project, "Write", file_path="app/greeter.py", content=BAD)
    assert decide(project, raw)[0] == BLOCK


def test_an_edit_that_introduces_a_finding_is_blocked(project: Path) -> None:
    module = project / "app/greeter.py"
    module.write_text(GOOD)
    code, message = decide(
        project,
        edit(
            project, "app/greeter.py", "from pydantic import BaseModel\n", BAD.split("\n\n", 1)[1]
        ),
    )
    assert code == BLOCK
    assert SYNC_CLIENT in message
    assert module.read_text() == GOOD


def test_an_edit_elsewhere_in_a_file_with_old_findings_is_allowed(project: Path) -> None:
    (project / "app/greeter.py").write_text(LEGACY)
    raw = edit(project, "app/greeter.py", "GREETING = 'hello'", "GREETING = 'hi'")
    assert decide(project, raw) == (ALLOW, "")


def test_a_suppression_the_edit_adds_does_not_count(project: Path) -> None:
    (project / "app/greeter.py").write_text(GOOD)
    suppressed = BAD.replace(
        "from dapr.clients import DaprClient",
        f"from dapr.clients import DaprClient  # noqa: {SYNC_CLIENT}",
    )
    code, message = decide(project, write(project, "app/greeter.py", suppressed))
    assert code == BLOCK
    assert SYNC_CLIENT in message


def test_replace_all_is_judged_on_every_occurrence(project: Path) -> None:
    source = (
        "import asyncio\nimport time\n\n\n"
        "async def first() -> None:\n    await asyncio.sleep(1)\n\n\n"
        "async def second() -> None:\n    await asyncio.sleep(1)\n\n\n"
        "def pause() -> None:\n    time.sleep(1)\n"
    )
    (project / "app/jobs.py").write_text(source)
    # Named twice without replace_all: Claude Code's Edit refuses that, and so does the hook.
    code, message = decide(project, edit(project, "app/jobs.py", "await asyncio.sleep(1)", "pass"))
    assert code == BLOCK
    assert "occurs 2 times" in message
    code, message = decide(
        project,
        edit(project, "app/jobs.py", "await asyncio.sleep(1)", "time.sleep(1)", replace_all=True),
    )
    assert code == BLOCK
    assert "app/jobs.py:6:" in message
    assert "app/jobs.py:10:" in message
    allowed = edit(project, "app/jobs.py", "asyncio.sleep(1)", "asyncio.sleep(2)", replace_all=True)
    assert decide(project, allowed) == (ALLOW, "")


def test_an_edit_whose_old_text_is_absent_fails_closed(project: Path) -> None:
    (project / "app/events.py").write_text(GOOD)
    code, message = decide(project, edit(project, "app/events.py", "no such text", "x = 1"))
    assert code == BLOCK
    assert "fails closed" in message
    assert "does not occur" in message


def test_an_edit_whose_old_text_differs_in_whitespace_is_told_where_it_is(project: Path) -> None:
    # The same check as the MCP edit_files tool: the refusal says where the text meant is.
    (project / "app/events.py").write_text(GOOD)
    first = next(line for line in GOOD.splitlines() if line.startswith("class "))
    number = GOOD.splitlines().index(first) + 1
    code, message = decide(project, edit(project, "app/events.py", first.replace(" ", "  "), "x"))
    assert code == BLOCK
    assert f"the same text is at line {number} with different whitespace" in message


def test_multi_edit_is_judged_after_every_edit(project: Path) -> None:
    (project / "app/events.py").write_text(GOOD)
    edits = [
        {"old_string": "from pydantic import BaseModel", "new_string": BAD.split("\n\n", 1)[1]},
        {"old_string": "task_id: str", "new_string": "task_id: int"},
    ]
    raw = payload(project, "MultiEdit", file_path=str(project / "app/events.py"), edits=edits)
    code, message = decide(project, raw)
    assert code == BLOCK
    assert SYNC_CLIENT in message


@pytest.mark.parametrize(
    ("path", "content", "rule"),
    [
        ("Dockerfile", "FROM python:3.12-slim\n", INFRA_FILE.id),
        ("charts/reminders/templates/deployment.yaml", "kind: Deployment\n", INFRA_FILE.id),
        (
            "deploy/service.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: reminders\n",
            KUBERNETES_MANIFEST.id,
        ),
    ],
)
def test_path_policy_refusals_block(project: Path, path: str, content: str, rule: str) -> None:
    code, message = decide(project, write(project, path, content))
    assert code == BLOCK
    assert rule in message


def test_other_tools_and_files_outside_the_project_pass(project: Path, tmp_path: Path) -> None:
    assert decide(project, payload(project, "Bash", command="rm -rf build"))[0] == ALLOW
    outside = payload(project, "Write", file_path=str(tmp_path / "scratch.py"), content=BAD)
    assert decide(project, outside)[0] == ALLOW
    assert decide(project, write(project, "NOTES.md", "# notes\n"))[0] == ALLOW


def test_a_symlink_is_judged_as_the_file_it_names(project: Path, tmp_path: Path) -> None:
    (project / "app/real.py").write_text(GOOD)
    (project / "app/link.py").symlink_to(project / "app/real.py")
    assert decide(project, write(project, "app/link.py", BAD))[0] == BLOCK
    (tmp_path / "elsewhere.py").write_text(GOOD)
    (project / "app/away.py").symlink_to(tmp_path / "elsewhere.py")
    assert decide(project, write(project, "app/away.py", BAD))[0] == ALLOW


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"tool_name": "Write"}', "tool_input"),
        (b'["Write"]', "shape"),
        (b'{"tool_name": "Write", "tool_input": {"file_path": "app/x.py"}}', "content"),
        (b'{"tool_name": "Edit", "tool_input": {"content": "x"}}', "file_path"),
        (b" " * (MAX_PAYLOAD_BYTES + 1), "bytes"),
    ],
)
def test_malformed_payloads_fail_closed_and_say_why(project: Path, raw: bytes, said: str) -> None:
    code, message = decide(project, raw)
    assert code == BLOCK
    assert "fails closed" in message
    assert said in message


def test_an_error_of_the_gate_itself_blocks_and_is_reported(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.daprdev]\ndisable = 3\n")
    code, message = decide(project, write(project, "app/events.py", GOOD))
    assert code == BLOCK
    assert "could not check this call" in message
    assert "disable" in message


def test_the_project_comes_from_the_input_when_claude_code_sets_no_project_dir(
    project: Path,
) -> None:
    decision = pre_tool_use(write(project, "app/greeter.py", BAD), project_dir=None)
    assert decision.code == BLOCK
    missing = pre_tool_use(b'{"tool_name": "Write", "tool_input": {}}', project_dir=None)
    assert missing.code == BLOCK
    assert "names the project" in missing.message
