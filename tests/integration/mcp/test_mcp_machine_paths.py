"""No answer of any tool names where the project or daprdev sits on the machine: every tool is
called through `mcp.Client` with inputs that make it fail (refused paths, broken specs, records
and suites, failing tests whose messages name files), and no result or error carries an absolute
path of the test machine; files are named from the root, as the tools take them."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from daprdev_mcp_support import EXAMPLE_SPEC, REPO
from mcp import Client
from mcp.shared.exceptions import MCPError

from tools.server import build_server

pytestmark = pytest.mark.timeout(300)

# Each test names a file of the machine in its failure: under the root, under the temporary
# folder (pytest's tmp_path) and under the home folder.
NAMING_TESTS = """\
import pathlib


def test_names_a_file_under_the_root() -> None:
    missing = pathlib.Path(__file__).resolve().with_name("missing.txt")
    assert missing.exists(), f"no {missing}"


def test_names_a_temporary_file(tmp_path: pathlib.Path) -> None:
    (tmp_path / "gone.txt").read_text()


def test_names_a_home_file() -> None:
    raise AssertionError(f"expected {pathlib.Path.home() / 'settings.toml'}")
"""
ADR = "history/adr"
PHRS = "history/prompts/general"


def _hostile(project: Path, outside: Path) -> None:
    """Everything a tool can trip over: links out of the root, a FIFO, broken specs and records."""
    outside.mkdir()
    (outside / "secret.py").write_text("x = 1\n")
    (outside / "service.yaml").write_text("service: {app_id: outside}\n")
    app = project / "app"
    (app / "out.py").symlink_to(outside / "secret.py")
    (app / "linked").symlink_to(outside, target_is_directory=True)
    os.mkfifo(app / "fifo.py")
    (app / "greet.py").write_text('"""Greetings."""\n\n\ndef greet() -> str:\n    return "hi"\n')
    specs = project / "specs"
    for name, content in {"bad-yaml": "service: [\n", "not-a-spec": "- a list\n"}.items():
        (specs / name).mkdir()
        (specs / name / "service.yaml").write_text(content)
    (specs / "leak").mkdir()
    (specs / "leak" / "service.yaml").symlink_to(outside / "service.yaml")
    (specs / "fifo").mkdir()
    os.mkfifo(specs / "fifo" / "service.yaml")
    suite = project / "suite"
    (suite / "tests").mkdir(parents=True)
    (suite / "pyproject.toml").write_text('[project]\nname = "suite"\nversion = "0"\n')
    (suite / "tests" / "test_paths.py").write_text(NAMING_TESTS)
    broken = project / "broken-suite"
    broken.mkdir()
    (broken / "conftest.py").write_text("import module_that_is_not_there\n")
    (broken / "test_x.py").write_text("def test_x() -> None:\n    pass\n")
    # Records that cannot be read or parsed (an unreadable one, front matter that is not YAML).
    for folder, name in ((ADR, "0001-mem.md"), (PHRS, "0001-mem.general.prompt.md")):
        (project / folder).mkdir(parents=True)
        (project / folder / name).symlink_to("/proc/self/mem")
    (project / PHRS / "0002-bad.general.prompt.md").write_text("---\nid: [\n---\n")
    (project / ADR / "0002-bad.md").write_text("---\nstatus: [\n---\n# ADR-0002\n")


def _failing_calls(spec_edit: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("list_specs", {}),
        ("read_spec", {"path": "bad-yaml"}),
        ("read_spec", {"path": "bad-yaml", "section": "service"}),
        ("read_spec", {"path": "not-a-spec", "section": "events"}),
        ("read_spec", {"path": "leak"}),
        ("read_spec", {"path": "fifo"}),
        ("read_spec", {"path": "missing"}),
        ("read_spec", {"path": "app/greet.py"}),
        ("read_spec", {"path": "/etc/passwd"}),
        ("validate_code", {"paths": ["app/out.py", "app/fifo.py", "app/linked/secret.py"]}),
        ("validate_code", {"paths": ["app", "nothing.py", ".git/config"]}),
        ("validate_code", {"files": [{"path": "app/b.py", "content": "def f(:\n"}]}),
        ("validate_code", {"files": [{"path": "app/linked/b.py", "content": "x = 1\n"}]}),
        ("write_files", {"files": [{"path": "app/out.py", "content": "x = 2\n"}]}),
        ("write_files", {"files": [{"path": "app/linked/new.py", "content": "x = 2\n"}]}),
        ("write_files", {"files": [{"path": "app/fifo.py", "content": "x = 2\n"}]}),
        ("write_files", {"files": [{"path": "app/c.py", "content": "import time\n" * 2}]}),
        ("write_files", {"files": [{"path": "specs/new/service.yaml", "content": "a: [\n"}]}),
        ("edit_files", {"edits": [{"path": "app/out.py", "old": "x", "new": "y"}]}),
        ("edit_files", {"edits": [{"path": "app/none.py", "old": "x", "new": "y"}]}),
        ("edit_files", {"edits": [{"path": "app/greet.py", "old": "hello", "new": "hey"}]}),
        ("edit_files", {"edits": [{"path": "app/greet.py", "old": "str:", "new": "str"}]}),
        ("edit_files", {"edits": [spec_edit]}),
        ("run_tests", {"path": "suite"}),
        ("run_tests", {"path": "broken-suite"}),
        ("run_tests", {"path": "suite", "select": "not ("}),
        ("run_tests", {"path": "app/linked"}),
        ("run_tests", {"path": "nowhere"}),
        ("generate", {"spec": "bad-yaml"}),
        ("generate", {"spec": "leak", "dry_run": True}),
        ("generate", {"spec": EXAMPLE_SPEC, "out": "app/linked", "dry_run": True}),
        ("generate", {"spec": EXAMPLE_SPEC, "out": "/etc/daprdev", "dry_run": True}),
        ("list_phrs", {}),
        ("list_adrs", {}),
        ("assess_adr", {"title": "", "brief": "", "impact": 3, "alternatives": 0, "scope": []}),
        ("create_phr", {"title": "t", "stage": "nope", "prompt": "p", "response": "r"}),
        ("create_phr", {"title": "x", "stage": "spec", "prompt": "p", "response": "r"}),
        ("create_adr", {"title": "t", "context": "", "decision": ""}),
        ("request_decision", {"question": "", "options": [], "context": ""}),
        ("request_decision", {"question": "q?", "options": ["a"], "context": "c", "feature": "x"}),
    ]


# Once history/ is a file, every record tool fails writing.
_HISTORY_BLOCKED = [
    ("create_phr", {"title": "Some work", "stage": "general", "prompt": "p", "response": "r"}),
    ("create_adr", {"title": "A choice", "context": "c", "decision": "d"}),
    ("request_decision", {"question": "Which store?", "options": ["a", "b"], "context": "c"}),
    ("list_phrs", {}),
    ("list_adrs", {}),
]


def _machine_paths(project: Path, tmp_path: Path) -> list[str]:
    paths = {
        str(project),
        str(tmp_path),
        os.path.realpath(tmp_path),
        str(tmp_path.parent.parent),  # pytest's base temporary folder, the nested run's too
        str(REPO),
        sys.prefix,
        os.path.realpath(sys.prefix),
        tempfile.gettempdir() + "/",
    }
    if len(str(Path.home())) > 1:
        paths.add(f"{Path.home()}/")
    return sorted(paths)


def _answer(result: Any) -> str:
    text = "\n".join(c.text for c in result.content if c.type == "text")
    return text + json.dumps(result.structured_content)


async def test_no_failing_tool_names_a_path_of_the_machine(project: Path, tmp_path: Path) -> None:
    _hostile(project, tmp_path / "outside")
    spec = f"specs/{EXAMPLE_SPEC}/service.yaml"
    title = "      title: str\n      due_at: {type"
    spec_edit = {"path": spec, "old": title, "new": title.replace("str", "strng")}
    answers: dict[str, list[str]] = {}
    async with Client(build_server(project)) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        calls = _failing_calls(spec_edit)
        assert {name for name, _ in calls} == listed, "every tool is called"
        for name, arguments in calls:
            answers.setdefault(name, []).append(_answer(await client.call_tool(name, arguments)))
        shutil.rmtree(project / "history")
        (project / "history").write_text("a file where the records' folder should be\n")
        for name, arguments in _HISTORY_BLOCKED:
            result = await client.call_tool(name, arguments)
            assert result.is_error or name.startswith("list_"), (name, _answer(result))
            answers[name].append(_answer(result))
        for uri in ("spec://leak", "spec://fifo", "spec://bad-yaml/../x"):
            with pytest.raises(MCPError) as raised:
                await client.read_resource(uri)
            answers.setdefault("resources", []).append(str(raised.value))

    # The failures really happened, and name their files from the root.
    everything = "\n".join(answer for found in answers.values() for answer in found)
    for expected in (
        "specs/bad-yaml/service.yaml:2:1: invalid YAML",
        "'app/linked' goes through the symlink 'app/linked'",
        "events.TaskCreated.fields.title: unknown type 'strng'",
        "./suite/tests/missing.txt",
        "ImportError while loading conftest './broken-suite/conftest.py'",
        "<tmp>/",
        "~/settings.toml",
    ):
        assert expected in everything, expected
    for name, found in answers.items():
        for answer in found:
            for machine_path in _machine_paths(project, tmp_path):
                assert machine_path not in answer, (name, machine_path, answer)
