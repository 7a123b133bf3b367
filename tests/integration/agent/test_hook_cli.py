"""The gate hook in the real Claude Code CLI (bundled in claude-agent-sdk), driven offline by the
scripted Messages API: the main session's own Write and Edit are judged before they run.

Once in a project set up by `daprdev init`, once with the plugin installed from this repository
(a local path, with Claude Code's plugin commands) instead: a Write of a module using the
synchronous DaprClient is blocked and the file does not exist, an Edit that would introduce one
is blocked and the file is unchanged, a clean Write lands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_messages_api import MessagesRequest, Reply, result_text, serve

from agent.claude_code import agent_tool_names, init_project
from agent.plugin import PLUGIN_AGENT, PLUGIN_ID, PLUGIN_TOOL_PREFIX
from tools.validate.policy import INFRA_FILE

pytestmark = pytest.mark.claude

REPOSITORY = Path(__file__).resolve().parents[3]
SYNC_CLIENT = "DAPR001"
BAD = (
    '"""Greets through the sidecar."""\n\n'
    "from dapr.clients import DaprClient\n\n\n"
    "async def greet(name: str) -> None:\n"
    "    with DaprClient() as client:\n"
    '        client.save_state("statestore", name, "hello")\n'
)
GOOD = (
    '"""Task events."""\n\nfrom pydantic import BaseModel\n\n\n'
    "class TaskCreated(BaseModel):\n    task_id: str\n"
)
IMPORT = "from pydantic import BaseModel\n"
INTRODUCED = "from pydantic import BaseModel\nfrom dapr.clients import DaprClient\n"
ADDED = (
    "\n\nasync def save(task: TaskCreated) -> None:\n"
    "    with DaprClient() as client:\n"
    '        client.save_state("statestore", task.task_id, task.model_dump_json())\n'
)


def _claude_binary() -> Path:
    import claude_agent_sdk

    binary = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
    assert binary.is_file(), f"the claude-agent-sdk wheel has no bundled CLI at {binary}"
    return binary


def _env(home: Path, base_url: str) -> dict[str, str]:
    # daprdev on PATH, as the plugin expects; init's files name its absolute path anyway.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "/bin")])
    return {
        "PATH": path,
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-test-not-a-real-key",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }


def _claude(
    project: Path, home: Path, base_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_claude_binary()), *args],
        cwd=project,
        env=_env(home, base_url),
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
    (project / "app").mkdir(parents=True)
    (project / "app/events.py").write_text(GOOD)
    return project


def _main_session(project: Path) -> list[Reply]:
    events = str(project / "app/events.py")
    return [
        Reply.call("Write", {"file_path": str(project / "app/greeter.py"), "content": BAD}),
        Reply.call("Read", {"file_path": events}),
        Reply.call(
            "Edit",
            {"file_path": events, "old_string": IMPORT, "new_string": INTRODUCED + ADDED},
        ),
        Reply.call("Write", {"file_path": str(project / "Dockerfile"), "content": "FROM x\n"}),
        Reply.call("Write", {"file_path": str(project / "app/clean.py"), "content": GOOD}),
    ]


def _run_main_session(
    project: Path,
) -> tuple[subprocess.CompletedProcess[str], list[MessagesRequest]]:
    steps = _main_session(project)

    def script(request: MessagesRequest) -> Reply:
        if "Write" not in request.tool_names:
            return Reply.say("ok")  # side requests (titles, summaries)
        done = len(request.tool_results())
        return steps[done] if done < len(steps) else Reply.say("done")

    with serve(script) as api:
        completed = _claude(
            project,
            project.parent / "home",
            api.base_url,
            "-p",
            "Add a greeter and store tasks.",
            "--output-format",
            "json",
            "--permission-mode",
            "acceptEdits",
        )
        return completed, api.message_requests


def _results(requests: list[MessagesRequest]) -> list[dict[str, Any]]:
    last = next(r for r in reversed(requests) if "Write" in r.tool_names)
    by_id = {block["tool_use_id"]: block for block in last.tool_results()}
    return [by_id[use["id"]] for use in last.tool_uses() if use["id"] in by_id]


def _assert_gated(
    project: Path, completed: subprocess.CompletedProcess[str], results: list
) -> None:
    assert completed.returncode == 0, completed.stderr[-3000:]
    write, read, edit, dockerfile, clean = results
    assert write.get("is_error") is True
    assert SYNC_CLIENT in result_text(write), result_text(write)
    assert "Blocked by the daprdev gate" in result_text(write)
    assert not (project / "app/greeter.py").exists()
    assert not read.get("is_error")
    assert edit.get("is_error") is True
    assert SYNC_CLIENT in result_text(edit), result_text(edit)
    assert (project / "app/events.py").read_text() == GOOD
    assert dockerfile.get("is_error") is True
    assert INFRA_FILE.id in result_text(dockerfile)
    assert not (project / "Dockerfile").exists()
    assert not clean.get("is_error"), result_text(clean)
    assert (project / "app/clean.py").read_text() == GOOD


def test_the_hook_init_installs_gates_the_main_sessions_writes(project: Path) -> None:
    init_project(project)
    completed, requests = _run_main_session(project)
    _assert_gated(project, completed, _results(requests))


def test_the_plugin_installed_from_a_local_path_gates_writes_and_names_its_tools(
    project: Path,
) -> None:
    home = project.parent / "home"
    with serve(lambda _request: Reply.say("ok")) as api:
        for command in (
            ["plugin", "marketplace", "add", str(REPOSITORY)],
            ["plugin", "install", PLUGIN_ID],
        ):
            done = _claude(project, home, api.base_url, *command)
            assert done.returncode == 0, done.stdout + done.stderr
        listed = _claude(project, home, api.base_url, "plugin", "list")
    assert PLUGIN_ID in listed.stdout
    assert "enabled" in listed.stdout

    completed, requests = _run_main_session(project)
    _assert_gated(project, completed, _results(requests))

    # The plugin's subagent is offered exactly the plugin's server tools its definition lists.
    subagent_tools: list[list[str]] = []
    with serve(_delegating_script(subagent_tools)) as api:
        done = _claude(
            project, home, api.base_url, "-p", "Implement the producer.", "--output-format", "json"
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["subagent_stats"]["by_type"] == {PLUGIN_AGENT: 1}
    wanted = {name for name in agent_tool_names(PLUGIN_TOOL_PREFIX) if name.startswith("mcp__")}
    assert subagent_tools, "the subagent never asked the model"
    offered = {name for name in subagent_tools[0] if name.startswith("mcp__")}
    assert offered == wanted, subagent_tools[0]


def _delegating_script(seen: list[list[str]]) -> Callable[[MessagesRequest], Reply]:
    def script(request: MessagesRequest) -> Reply:
        if "Agent" in request.tool_names:
            done = len(request.tool_results())
            if done == 0:
                # Loading one of the plugin's tools waits for its server to connect, as a person
                # typing would; a subagent started before that is offered none of them.
                return Reply.call("ToolSearch", {"query": f"select:{PLUGIN_TOOL_PREFIX}list_specs"})
            if done == 1:
                return Reply.call(
                    "Agent",
                    {
                        "description": "Implement the producer",
                        "prompt": "Implement the producer.",
                        "subagent_type": PLUGIN_AGENT,
                        "run_in_background": False,
                    },
                )
            return Reply.say("Delegated.")
        if request.tool_names:  # the subagent (side requests offer no tools)
            seen.append(request.tool_names)
            return Reply.say("Nothing to write.")
        return Reply.say("ok")

    return script


def test_claude_code_validates_the_plugin_and_the_marketplace(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for target in (REPOSITORY / "plugins/daprdev", REPOSITORY / ".claude-plugin/marketplace.json"):
        done = _claude(
            tmp_path, home, "http://127.0.0.1:9", "plugin", "validate", "--strict", str(target)
        )
        assert done.returncode == 0, done.stdout + done.stderr
