"""`daprdev run` on refactor and debug tasks: a scripted model reads an existing project with Read,
Glob and Grep, changes it with edit_files and checks it with run_tests, against a scripted Messages
API on 127.0.0.1 and daprdev's real MCP server. The PHR at the end names only that task's files
and test runs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fake_messages_api import MessagesRequest, Reply, result_text, serve
from rich.console import Console

from agent.claude_code import AGENT_BUILTIN_TOOLS
from agent.runner import run_task
from tools.history.phr import PhrRecord, read_phr

pytestmark = pytest.mark.timeout(240)

# A module of some size, so that what comes back from an edit can be told from the whole file.
PADDING = "".join(
    f'\n\ndef label_{n}(count: int) -> str:\n    """Label {n}."""\n    return f"{n}:{{count}}"\n'
    for n in range(30)
)
GREETINGS = f'''"""Greetings for the task service."""

from __future__ import annotations

DEFAULT_NAME = "world"


def _clean(name: str) -> str:
    return name.strip() or DEFAULT_NAME


def greet(name: str) -> str:
    return f"hello {{_clean(name)}}"


def farewell(name: str) -> str:
    return f"goodbye {{_clean(name)}}"
{PADDING}'''
UNRELATED = '"""Left alone."""\n\nVALUE = 1\n'
CALC = '"""Arithmetic."""\n\n\ndef add(a: int, b: int) -> int:\n    return a - b\n'
CALC_TESTS = """from calc import add


def test_zero() -> None:
    assert add(0, 0) == 0


def test_two_and_two() -> None:
    assert add(2, 2) == 4
"""
_NUMBERED = re.compile(r"^ *(\d+)\t(.*)$")


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-not-a-real-key")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_lines(text: str) -> dict[int, str]:
    """Line number -> text, from what Read shows (`cat -n` style)."""
    return {int(m[1]): m[2] for line in text.splitlines() if (m := _NUMBERED.match(line))}


def _phr(root: Path, path: str | None) -> PhrRecord:
    assert path is not None
    record = read_phr(root, root / path)
    assert record is not None
    return record


def _last_result(request: MessagesRequest) -> dict[str, Any]:
    return request.tool_results()[-1]


def _summary(title: str) -> Reply:
    return Reply.call(
        "create_phr",
        {"title": title, "response": title, "outcome": "done", "reflection": "read first"},
    )


async def test_refactor_an_existing_module_with_edit_files(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/greetings.py").write_text(GREETINGS)
    (tmp_path / "app/unrelated.py").write_text(UNRELATED)
    unrelated = _sha256(tmp_path / "app/unrelated.py")
    seen: dict[str, Any] = {}

    def script(request: MessagesRequest) -> Reply:
        done = len(request.tool_results())
        if done == 0:
            return Reply.call("Glob", {"pattern": "**/*.py"})
        if done == 1:
            seen["glob"] = result_text(_last_result(request))
            return Reply.call("Grep", {"pattern": r"def _clean\(", "glob": "*.py"})
        if done == 2:
            seen["grep"] = result_text(_last_result(request))
            # 'app/greetings.py:8: def _clean(...)' -> read that function from its line on.
            path, line, _ = seen["grep"].split(":", 2)
            return Reply.call("Read", {"path": path, "offset": int(line), "limit": 2})
        if done == 3:
            seen["read"] = read = _read_lines(result_text(_last_result(request)))
            first = min(read)
            old = f"{read[first]}\n{read[first + 1]}"
            edits = [
                {
                    "path": "app/greetings.py",
                    "old": old,
                    "new": old.replace("def _clean", "def _display_name"),
                },
                {
                    "path": "app/greetings.py",
                    "old": "_clean(name)",
                    "new": "_display_name(name)",
                    "replace_all": True,
                },
            ]
            return Reply.call("edit_files", {"edits": edits})
        if done == 4:
            seen["edit"] = _last_result(request)
            return _summary("Rename _clean to _display_name")
        return Reply.say("Renamed _clean to _display_name in app/greetings.py.")

    with serve(script) as api:
        result = await run_task(
            "rename the greetings helper _clean to _display_name",
            root=tmp_path,
            base_url=api.base_url,
            console=Console(quiet=True),
        )
        offered = api.message_requests[0].tool_names

    assert result.status == "completed", result.error
    # The headless run offers the subagent's own read-only tools, by the names Claude Code uses.
    assert offered[: len(AGENT_BUILTIN_TOOLS)] == list(AGENT_BUILTIN_TOOLS)
    assert seen["glob"].splitlines() == ["app/greetings.py", "app/unrelated.py"]
    assert seen["grep"] == "app/greetings.py:8: def _clean(name: str) -> str:"
    assert seen["read"] == {
        8: "def _clean(name: str) -> str:",
        9: "    return name.strip() or DEFAULT_NAME",
    }

    edit = seen["edit"]
    assert not edit.get("is_error"), result_text(edit)
    [written] = json.loads(result_text(edit))["files"]
    after = (tmp_path / "app/greetings.py").read_text()
    assert after == GREETINGS.replace("_clean(", "_display_name(")
    assert written["sha256"] == _sha256(tmp_path / "app/greetings.py")
    # The model gets back what changed, not the file it would otherwise have to send again.
    diff = written["diff"]
    assert "-def _clean(name: str) -> str:" in diff
    assert "+def _display_name(name: str) -> str:" in diff
    assert '+    return f"goodbye {_display_name(name)}"' in diff
    assert "label_29" not in diff and len(diff) < len(GREETINGS) / 3

    assert _sha256(tmp_path / "app/unrelated.py") == unrelated
    assert [(f.path, f.action) for f in result.files] == [("app/greetings.py", "updated")]
    assert [(g.tool, g.ok) for g in result.gate_results] == [("edit_files", True)]
    phr = _phr(tmp_path, result.phr_path)
    assert phr.title == "Rename _clean to _display_name"
    assert [f.split()[0] for f in phr.files] == ["app/greetings.py"]
    assert phr.tests == []


async def test_debug_a_failing_test_with_run_tests_and_edit_files(tmp_path: Path) -> None:
    service = tmp_path / "svc"
    (service / "tests").mkdir(parents=True)
    (service / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "0"\n')
    (service / "calc.py").write_text(CALC)
    (service / "tests/test_calc.py").write_text(CALC_TESTS)
    tests_before = _sha256(service / "tests/test_calc.py")
    seen: dict[str, Any] = {}

    def script(request: MessagesRequest) -> Reply:
        done = len(request.tool_results())
        if done == 0:
            return Reply.call("run_tests", {"path": "svc"})
        if done == 1:
            seen["red"] = json.loads(result_text(_last_result(request)))
            return Reply.call("Grep", {"pattern": r"^def add\(", "path": "svc", "glob": "*.py"})
        if done == 2:
            seen["grep"] = result_text(_last_result(request))
            path, line, _ = seen["grep"].split(":", 2)
            return Reply.call("Read", {"path": path, "offset": int(line)})
        if done == 3:
            read = _read_lines(result_text(_last_result(request)))
            body = read[max(read)]
            seen["body"] = body
            edit = {"path": "svc/calc.py", "old": body, "new": body.replace("-", "+")}
            return Reply.call("edit_files", {"edits": [edit]})
        if done == 4:
            seen["edit"] = _last_result(request)
            return Reply.call("run_tests", {"path": "svc"})
        if done == 5:
            seen["green"] = json.loads(result_text(_last_result(request)))
            return _summary("Fix add")
        return Reply.say("add() subtracted; fixed, and the tests pass.")

    with serve(script) as api:
        result = await run_task(
            "the calc tests fail; find out why and fix it",
            root=tmp_path,
            base_url=api.base_url,
            console=Console(quiet=True),
        )

    assert result.status == "completed", result.error
    red = seen["red"]
    assert (red["passed"], red["failed"], red["errors"]) == (1, 1, 0)
    [failure] = red["failures"]
    assert failure["id"] == "svc/tests/test_calc.py::test_two_and_two"
    assert failure["line"] == "svc/tests/test_calc.py:9: assert add(2, 2) == 4"
    assert "assert 0 == 4" in failure["message"]
    assert seen["grep"] == "svc/calc.py:4: def add(a: int, b: int) -> int:"
    assert seen["body"] == "    return a - b"
    assert not seen["edit"].get("is_error"), result_text(seen["edit"])
    green = seen["green"]
    assert (green["passed"], green["failed"], green["errors"]) == (2, 0, 0)

    assert (service / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    assert _sha256(service / "tests/test_calc.py") == tests_before
    assert [(t.path, t.ok) for t in result.tests] == [("svc", False), ("svc", True)]
    phr = _phr(tmp_path, result.phr_path)
    assert [f.split()[0] for f in phr.files] == ["svc/calc.py"]
    assert len(phr.tests) == 2
    assert phr.tests[0].startswith("run_tests svc (FAIL") and "1 failed" in phr.tests[0]
    assert phr.tests[1].startswith("run_tests svc (PASS") and "2 passed" in phr.tests[1]


async def test_reads_the_checks_refuse_go_back_to_the_model(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git/config").write_text("[remote]\n\turl = secret-remote\n")
    (tmp_path / "app.py").write_text('URL = "public"\n')
    calls = [
        Reply.call("Read", {"path": ".git/config"}),
        Reply.call("Grep", {"pattern": "url", "ignore_case": True}),
        Reply.call("Read", {"path": "../elsewhere.py"}),
        Reply.call("Glob", {"pattern": "*.py", "path": "app.py"}),
    ]
    seen: list[dict[str, Any]] = []

    def script(request: MessagesRequest) -> Reply:
        done = len(request.tool_results())
        if done:
            seen.append(_last_result(request))
        return calls[done] if done < len(calls) else Reply.say("Nothing readable there.")

    with serve(script) as api:
        result = await run_task(
            "look around", root=tmp_path, base_url=api.base_url, console=Console(quiet=True)
        )

    assert result.status == "completed", result.error
    git, grep, outside, glob = seen
    assert git.get("is_error") is True and "version-control" in result_text(git)
    assert not grep.get("is_error") and result_text(grep) == 'app.py:1: URL = "public"'
    assert outside.get("is_error") is True and ".." in result_text(outside)
    assert glob.get("is_error") is True and "is a file" in result_text(glob)
    assert all("secret-remote" not in result_text(block) for block in seen)
    assert all(str(tmp_path) not in result_text(block) for block in seen)
