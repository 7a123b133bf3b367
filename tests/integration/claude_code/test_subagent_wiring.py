"""The wiring a user relies on, proven with the real Claude Code CLI (bundled in claude-agent-sdk).

A project is prepared by `daprdev init`; Claude Code runs offline against the scripted Messages
API. The scripted main agent delegates to dapr-backend-developer; the scripted subagent writes a
good file, then a bad one, then records a PHR - all through daprdev's real MCP server, started by
Claude Code from the `.mcp.json` that init wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from fake_messages_api import MessagesRequest, Reply, result_text, serve

from agent.claude_code import (
    AGENT_DESCRIPTION,
    AGENT_NAME,
    MCP_FILE,
    SETTINGS_FILE,
    agent_tool_names,
    init_project,
)
from tools.changes import FileChange
from tools.validate import check_changes

pytestmark = pytest.mark.claude

GOOD = (
    '"""Task events."""\n\nfrom pydantic import BaseModel\n\n\n'
    "class TaskCreated(BaseModel):\n    task_id: str\n    title: str\n"
)
BAD = (
    '"""Publishes straight to Redis."""\n\nimport redis\n\n\n'
    "def publish(task_id: str) -> None:\n"
    '    redis.Redis().publish("task-created", task_id)\n'
)
GOOD_PATH = "app/events.py"
BAD_PATH = "app/publisher.py"
TOOL = "mcp__daprdev__"
_PHR_FILE_LINE = re.compile(r"`([^`]+)` (?:created|updated), sha256 `([0-9a-f]{64})`")


def _claude_binary() -> Path:
    try:
        import claude_agent_sdk
    except ImportError:
        pytest.fail(
            "claude-agent-sdk is not installed; install the dev extra: pip install -e '.[dev]'"
        )
    binary = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
    assert binary.is_file(), f"the claude-agent-sdk wheel has no bundled CLI at {binary}"
    return binary


def _claude(
    project: Path, home: Path, base_url: str, prompt: str, allowed: list[str]
) -> subprocess.CompletedProcess[str]:
    """Run Claude Code once, offline: scripted API, private HOME, the project's own .mcp.json."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-test-not-a-real-key",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    return subprocess.run(
        [
            str(_claude_binary()),
            "-p",
            prompt,
            "--output-format",
            "json",
            "--mcp-config",
            MCP_FILE,
            "--strict-mcp-config",
            "--allowedTools",
            ",".join(allowed),
        ],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    project = tmp_path / "project"
    project.mkdir()
    init_project(project)
    return project


def _write(path: str, content: str) -> Reply:
    return Reply.call(f"{TOOL}write_files", {"files": [{"path": path, "content": content}]})


def _is_subagent(request: MessagesRequest) -> bool:
    return f"{TOOL}write_files" in request.tool_names and "Agent" not in request.tool_names


def script(request: MessagesRequest) -> Reply:
    """The model's part: the main agent delegates; the subagent writes good, bad, then records."""
    done = len(request.tool_results())
    if _is_subagent(request):
        steps = [
            _write(GOOD_PATH, GOOD),
            _write(BAD_PATH, BAD),
            Reply.call(
                f"{TOOL}create_phr",
                {
                    "title": "Task created event model",
                    "stage": "general",
                    "prompt": "implement the task-created event model and publisher",
                    "response": "Wrote the TaskCreated model; the Redis publisher was refused.",
                    "outcome": "model written, publisher refused by the gate",
                    "reflection": "publish through Dapr Pub/Sub, not Redis",
                },
            ),
        ]
        return steps[done] if done < len(steps) else Reply.say("Wrote app/events.py.")
    if "Agent" in request.tool_names:
        if done == 0:
            return Reply.call(
                "Agent",
                {
                    "description": "Implement task-created",
                    "prompt": "Implement the task-created event model and its publisher.",
                    "subagent_type": AGENT_NAME,
                    "run_in_background": False,
                },
            )
        return Reply.say("The subagent wrote app/events.py.")
    return Reply.say("ok")  # side requests (titles, summaries) need no script


def test_claude_code_delegates_to_the_subagent_and_the_gate_guards_writes(project: Path) -> None:
    home = project.parent / "home"
    subagent_tools = [tool for tool in agent_tool_names() if tool.startswith(TOOL)]

    with serve(script) as api:
        completed = _claude(
            project,
            home,
            api.base_url,
            "Implement the task-created event model and its publisher.",
            subagent_tools,
        )
        requests = api.message_requests

    assert completed.returncode == 0, completed.stderr[-3000:]
    outcome = json.loads(completed.stdout)
    assert outcome["subagent_stats"]["by_type"] == {AGENT_NAME: 1}

    # The main session was told about the subagent, and the daprdev server connected.
    main_context = next(r for r in requests if "Agent" in r.tool_names).text_of()
    assert f"- {AGENT_NAME}: {AGENT_DESCRIPTION}" in main_context
    assert "failed to connect" not in main_context

    # The subagent saw exactly the daprdev tools its definition lists: names and server agree.
    subagent_requests = [r for r in requests if _is_subagent(r)]
    assert subagent_requests, "the main agent never delegated"
    offered = {name for name in subagent_requests[0].tool_names if name.startswith(TOOL)}
    assert offered == set(subagent_tools)

    results = {block["tool_use_id"]: block for block in subagent_requests[-1].tool_results()}
    uses = subagent_requests[-1].tool_uses()
    by_path = {
        use["input"]["files"][0]["path"]: results[use["id"]]
        for use in uses
        if use["name"] == f"{TOOL}write_files"
    }
    assert not by_path[GOOD_PATH].get("is_error")
    refusal = by_path[BAD_PATH]
    assert refusal.get("is_error") is True
    gate = check_changes([FileChange(path=BAD_PATH, content=BAD)])
    rules = {d.rule for d in gate.diagnostics if d.blocking}
    assert rules
    assert all(rule in result_text(refusal) for rule in rules), result_text(refusal)

    good = project / GOOD_PATH
    assert good.is_file()
    assert not (project / BAD_PATH).exists()

    phr_use = next(u for u in uses if u["name"] == f"{TOOL}create_phr")
    assert not results[phr_use["id"]].get("is_error"), result_text(results[phr_use["id"]])
    phr = project / json.loads(result_text(results[phr_use["id"]]))["path"]
    digest = hashlib.sha256(good.read_bytes()).hexdigest()
    assert set(_PHR_FILE_LINE.findall(phr.read_text())) == {(GOOD_PATH, digest)}


def test_sp_adr_records_a_decision_through_the_server(project: Path) -> None:
    create_adr = f"{TOOL}create_adr"

    def adr_script(request: MessagesRequest) -> Reply:
        if "ToolSearch" not in request.tool_names:
            return Reply.say("ok")
        done = len(request.tool_results())
        if done == 0:  # the main session loads deferred MCP tools on demand
            return Reply.call("ToolSearch", {"query": f"select:{create_adr}"})
        if done == 1:
            return Reply.call(
                create_adr,
                {
                    "title": "Jobs API for reminders",
                    "context": "Reminders must fire at an exact time.",
                    "decision": "Schedule one Dapr job per reminder.",
                    "alternatives": ["A polling loop over Dapr State."],
                },
            )
        return Reply.say("Recorded ADR 0001.")

    with serve(adr_script) as api:
        completed = _claude(
            project,
            project.parent / "home",
            api.base_url,
            "/sp.adr jobs-api-reminders",
            [create_adr],
        )
        requests = api.message_requests

    assert completed.returncode == 0, completed.stderr[-3000:]
    first = next(r for r in requests if "ToolSearch" in r.tool_names)
    body = (project / ".claude/commands/sp.adr.md").read_text().split("---", 2)[2]
    expanded = body.replace("$ARGUMENTS", "jobs-api-reminders").strip()
    assert expanded.splitlines()[-1] in first.user_text()
    assert "jobs-api-reminders" in first.user_text()
    last = requests[-1]
    use = next(u for u in last.tool_uses() if u["name"] == create_adr)
    result = next(r for r in last.tool_results() if r["tool_use_id"] == use["id"])
    assert not result.get("is_error"), result_text(result)
    adr = project / json.loads(result_text(result))["path"]
    assert "Schedule one Dapr job per reminder." in adr.read_text()


def test_interactive_claude_code_finds_the_server_approved_and_connected(project: Path) -> None:
    home = project.parent / "home"
    # What accepting the trust dialog once leaves behind; approval of project servers needs it.
    trust = {"projects": {str(project): {"hasTrustDialogAccepted": True}}}
    (home / ".claude.json").write_text(json.dumps(trust))

    def mcp_list(base_url: str) -> str:
        listed = subprocess.run(
            [str(_claude_binary()), "mcp", "list"],
            cwd=project,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(home),
                # Without a base URL the CLI spends ~20 s failing to resolve the public API.
                "ANTHROPIC_BASE_URL": base_url,
                "ANTHROPIC_API_KEY": "sk-test-not-a-real-key",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            },
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return next(line for line in listed.stdout.splitlines() if line.startswith("daprdev:"))

    with serve(lambda _request: Reply.say("ok")) as api:
        connected = mcp_list(api.base_url)
        # Without the settings init wrote, Claude Code would hold the server for approval.
        (project / SETTINGS_FILE).write_text("{}")
        pending = mcp_list(api.base_url)

    assert "Connected" in connected
    assert "Pending approval" in pending
