"""The subagent's edit-and-test loop, proven with the real Claude Code CLI (offline, scripted API).

In a project prepared by `daprdev init`, the scripted subagent does two tasks in one session of
daprdev's MCP server: it writes a new module and records a PHR; then it reads an existing module
with Claude Code's Read, changes it with `edit_files`, sends an edit the gate refuses (the file
stays byte-for-byte as it was), runs the tests with `run_tests` and records a second PHR, which
names only the second task's file and its test run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fake_messages_api import MessagesRequest, Reply, result_text, serve
from test_subagent_wiring import GOOD, GOOD_PATH, TOOL, _claude, _is_subagent

from agent.claude_code import AGENT_NAME, agent_tool_names, init_project
from tools.changes import FileChange
from tools.history.phr import read_phr
from tools.validate import check_changes

pytestmark = pytest.mark.claude

MODULE = "app/greetings.py"
GREETINGS = (
    '"""Greetings."""\n\n\ndef greet(name: str) -> str:\n    return f"hello {name}"\n\n\n'
    'def farewell(name: str) -> str:\n    return f"goodbye {name}"\n'
)
GREETING_TESTS = (
    "from app.greetings import farewell, greet\n\n\n"
    'def test_greet() -> None:\n    assert greet("ada") == "hi ada"\n\n\n'
    'def test_farewell() -> None:\n    assert farewell("ada") == "goodbye ada"\n'
)
GOOD_EDIT = {"path": MODULE, "old": 'f"hello {name}"', "new": 'f"hi {name}"'}
# The second edit sends the greeting straight to Redis: the gate refuses the whole call.
BAD_EDITS = [
    {"path": MODULE, "old": '"""Greetings."""\n', "new": '"""Greetings."""\n\nimport redis\n'},
    {
        "path": MODULE,
        "old": '    return f"goodbye {name}"',
        "new": '    redis.Redis().publish("farewell", name)\n    return f"goodbye {name}"',
    },
]


def _phr(name: str) -> Reply:
    return Reply.call(
        f"{TOOL}create_phr",
        {
            "title": name,
            "stage": "general",
            "prompt": name,
            "response": name,
            "outcome": "done",
        },
    )


def _subagent_steps(project: Path) -> list[Reply]:
    return [
        Reply.call(f"{TOOL}write_files", {"files": [{"path": GOOD_PATH, "content": GOOD}]}),
        _phr("Task created event model"),
        Reply.call("Read", {"file_path": str(project / MODULE)}),
        Reply.call(f"{TOOL}edit_files", {"edits": [GOOD_EDIT]}),
        Reply.call(f"{TOOL}edit_files", {"edits": BAD_EDITS}),
        Reply.call(f"{TOOL}run_tests", {"path": "tests"}),
        _phr("Shorter greeting"),
    ]


def _script(project: Path) -> Any:
    steps = _subagent_steps(project)

    def script(request: MessagesRequest) -> Reply:
        done = len(request.tool_results())
        if _is_subagent(request):
            return steps[done] if done < len(steps) else Reply.say("Greeting shortened.")
        if "Agent" in request.tool_names:
            if done == 0:
                return Reply.call(
                    "Agent",
                    {
                        "description": "Shorten the greeting",
                        "prompt": "Write the TaskCreated model, then shorten the greeting.",
                        "subagent_type": AGENT_NAME,
                        "run_in_background": False,
                    },
                )
            return Reply.say("Done.")
        return Reply.say("ok")

    return script


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_subagent_edits_an_existing_file_runs_the_tests_and_records_the_task(
    tmp_path: Path,
) -> None:
    (tmp_path / "home").mkdir()
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / MODULE).write_text(GREETINGS)
    (project / "tests/test_greetings.py").write_text(GREETING_TESTS)
    init_project(project)
    subagent_tools = [tool for tool in agent_tool_names() if tool.startswith(TOOL)]

    with serve(_script(project)) as api:
        completed = _claude(
            project, tmp_path / "home", api.base_url, "Shorten the greeting.", subagent_tools
        )
        requests = api.message_requests

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert json.loads(completed.stdout)["subagent_stats"]["by_type"] == {AGENT_NAME: 1}
    last = [r for r in requests if _is_subagent(r)][-1]
    results = {block["tool_use_id"]: block for block in last.tool_results()}
    calls = [(use["name"], results[use["id"]]) for use in last.tool_uses()]
    names = [name.removeprefix(TOOL) for name, _ in calls]
    assert names == [
        "write_files",
        "create_phr",
        "Read",
        "edit_files",
        "edit_files",
        "run_tests",
        "create_phr",
    ]
    _, first_phr, read, edited, refused, tests, second_phr = (block for _, block in calls)
    assert not read.get("is_error") and "def greet" in result_text(read)

    # The good edit: written, and only what changed comes back.
    assert not edited.get("is_error"), result_text(edited)
    [written] = json.loads(result_text(edited))["files"]
    module = project / MODULE
    assert module.read_text() == GREETINGS.replace("hello", "hi")
    assert written["sha256"] == _sha256(module)
    assert '-    return f"hello {name}"' in written["diff"]
    assert '+    return f"hi {name}"' in written["diff"]
    assert "farewell" not in written["diff"]

    # The bad edit: refused with the gate's rules; the file stays as the good edit left it.
    assert refused.get("is_error") is True
    would_be = module.read_text()
    for edit in BAD_EDITS:
        would_be = would_be.replace(edit["old"], edit["new"], 1)
    gate = check_changes([FileChange(path=MODULE, content=would_be)])
    rules = {d.rule for d in gate.diagnostics if d.blocking}
    assert rules
    assert all(rule in result_text(refused) for rule in rules), result_text(refused)
    assert _sha256(module) == written["sha256"]

    report = json.loads(result_text(tests))
    assert (report["passed"], report["failed"], report["errors"]) == (2, 0, 0), report

    # Each PHR names its own task's files and test runs only.
    records = []
    for block in (first_phr, second_phr):
        assert not block.get("is_error"), result_text(block)
        path = project / json.loads(result_text(block))["path"]
        record = read_phr(project, path)
        assert record is not None
        records.append(record)
    first, second = records
    assert [f.split()[0] for f in first.files] == [GOOD_PATH]
    assert first.tests == []
    assert [f.split()[0] for f in second.files] == [MODULE]
    assert f"`{MODULE}` updated, sha256 `{_sha256(module)}`" in (project / second.path).read_text()
    assert len(second.tests) == 1 and second.tests[0].startswith("run_tests tests (PASS")
