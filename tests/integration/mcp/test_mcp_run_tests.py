"""`run_tests` through the real mcp client: a small project with passing and failing tests, its own
venv, the time limit, the 6 KB bound, refusals, the PHR's `tests`, and over stdio."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from daprdev_mcp_support import DAPRDEV
from mcp import Client, StdioServerParameters

from tools.limits import MAX_TEST_REPORT_BYTES
from tools.server import build_server

pytestmark = pytest.mark.timeout(180)

CALC = "def add(a: int, b: int) -> int:\n    return a - b\n"
TESTS = """\
import json

from calc import add


def test_zero() -> None:
    assert add(0, 0) == 0


def test_two_and_two() -> None:
    total = add(2, 2)
    assert total == 4


def test_parse() -> None:
    json.loads("{")


def test_skipped() -> None:
    import pytest

    pytest.skip("not today")
"""


def _service(root: Path, name: str = "svc", tests: str = TESTS) -> Path:
    folder = root / name
    (folder / "tests").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n')
    (folder / "calc.py").write_text(CALC)
    (folder / "tests" / "test_calc.py").write_text(tests)
    return folder


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_counts_and_each_failure_with_its_line(project: Path, mode: str) -> None:
    _service(project)
    async with Client(build_server(project), mode=mode) as client:
        result = await client.call_tool("run_tests", {"path": "svc"})
        assert not result.is_error, _text(result)
        report = result.structured_content
        assert (report["passed"], report["failed"], report["errors"]) == (1, 2, 0)
        assert report["skipped"] == 1 and report["timed_out"] is False
        assert report["omitted"] == 0 and report["note"] == ""
        by_id = {f["id"]: f for f in report["failures"]}
        assert set(by_id) == {
            "svc/tests/test_calc.py::test_two_and_two",
            "svc/tests/test_calc.py::test_parse",
        }
        # The line in the test's own file, named from the root as edit_files names it.
        assert by_id["svc/tests/test_calc.py::test_two_and_two"]["line"] == (
            "svc/tests/test_calc.py:12: assert total == 4"
        )
        assert "assert 0 == 4" in by_id["svc/tests/test_calc.py::test_two_and_two"]["message"]
        assert by_id["svc/tests/test_calc.py::test_parse"]["line"].startswith(
            "svc/tests/test_calc.py:16: json.loads"
        )
        assert "JSONDecodeError" in by_id["svc/tests/test_calc.py::test_parse"]["message"]
        assert str(project) not in json.dumps(report)

        selected = await client.call_tool("run_tests", {"path": "svc/", "select": "zero"})
        assert selected.structured_content["passed"] == 1
        assert selected.structured_content["failed"] == 0

        one_file = await client.call_tool("run_tests", {"path": "svc/tests/test_calc.py"})
        assert one_file.structured_content["failed"] == 2


async def test_a_fixed_module_turns_the_run_green(project: Path) -> None:
    _service(project)
    async with Client(build_server(project)) as client:
        edited = await client.call_tool(
            "edit_files",
            {"edits": [{"path": "svc/calc.py", "old": "return a - b", "new": "return a + b"}]},
        )
        assert not edited.is_error, _text(edited)
        report = (
            await client.call_tool("run_tests", {"path": "svc", "select": "not parse"})
        ).structured_content
        assert (report["passed"], report["failed"], report["failures"]) == (2, 0, [])


async def test_the_folders_own_venv_runs_the_tests(project: Path) -> None:
    folder = _service(
        project,
        tests=(
            "import os\n\n\ndef test_in_the_venv() -> None:\n"
            "    assert os.environ['RAN_BY'] == 'project-venv'\n"
            "    assert os.environ['VIRTUAL_ENV'].endswith('svc/.venv')\n"
        ),
    )
    python = folder / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    # A venv's python that says it was the one started, then is the server's interpreter.
    python.write_text(f'#!/bin/sh\nRAN_BY=project-venv exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    async with Client(build_server(project)) as client:
        report = (await client.call_tool("run_tests", {"path": "svc/tests"})).structured_content
        assert (report["passed"], report["failed"]) == (1, 0), report


async def test_credentials_of_the_server_stay_out_of_the_tests(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_API_KEY", "k-123")
    monkeypatch.setenv("GH_TOKEN", "t-123")
    monkeypatch.setenv("PLAIN_SETTING", "kept")
    _service(
        project,
        tests=(
            "import os\n\n\ndef test_env() -> None:\n"
            "    assert 'SERVICE_API_KEY' not in os.environ and 'GH_TOKEN' not in os.environ\n"
            "    assert os.environ['PLAIN_SETTING'] == 'kept'\n"
        ),
    )
    async with Client(build_server(project)) as client:
        report = (await client.call_tool("run_tests", {"path": "svc"})).structured_content
        assert (report["passed"], report["failed"]) == (1, 0), report


async def test_the_time_limit_kills_the_whole_process_tree(project: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    _service(
        project,
        tests=(
            "import subprocess\nimport time\n\n\ndef test_quick() -> None:\n    pass\n\n\n"
            "def test_hangs() -> None:\n"
            "    child = subprocess.Popen(['sleep', '300'])\n"
            f"    open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
            "    time.sleep(300)\n"
        ),
    )
    async with Client(build_server(project)) as client:
        started = time.monotonic()
        result = await client.call_tool("run_tests", {"path": "svc", "time_limit": 3})
        assert time.monotonic() - started < 30
        report = result.structured_content
        assert report["timed_out"] is True and report["passed"] == 1, report
    child = int(pid_file.read_text())
    assert await anyio.to_thread.run_sync(_gone, child), "the test's child outlived the limit"


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.is_file() and "State:\tZ" in status.read_text())


async def test_many_failures_stay_within_six_kilobytes(project: Path) -> None:
    _service(
        project,
        tests=(
            "import pytest\n\n\n@pytest.mark.parametrize('n', range(300))\n"
            "def test_many(n: int) -> None:\n"
            "    assert 'x' * 300 == f'case {n}'\n"
        ),
    )
    async with Client(build_server(project)) as client:
        result = await client.call_tool("run_tests", {"path": "svc"})
        report = result.structured_content
        assert report["failed"] == 300
        assert 0 < len(report["failures"]) < 300
        assert report["omitted"] == 300 - len(report["failures"])
        assert len(json.dumps(report, separators=(",", ":")).encode()) <= MAX_TEST_REPORT_BYTES
        assert len(_text(result).encode()) <= MAX_TEST_REPORT_BYTES + 200


async def test_what_pytest_could_not_run_is_explained(project: Path) -> None:
    _service(project)
    async with Client(build_server(project)) as client:
        nothing = (
            await client.call_tool("run_tests", {"path": "svc", "select": "no_such_test"})
        ).structured_content
        assert nothing["note"].startswith("no tests collected")
        bad = (
            await client.call_tool("run_tests", {"path": "svc", "select": "not ("})
        ).structured_content
        assert bad["note"].startswith("usage error") and "-k" in bad["note"]
        assert str(project) not in bad["note"]


async def test_refusals_run_nothing(project: Path) -> None:
    _service(project)
    (project / ".git").mkdir()
    async with Client(build_server(project)) as client:
        for path, reason in [
            ("../", "'..'"),
            ("/", "absolute"),
            ("/etc", "absolute"),
            ("nowhere", "does not exist"),
            (".git", "not readable"),
            ("svc/pyproject.toml", "neither a folder nor a Python test file"),
        ]:
            result = await client.call_tool("run_tests", {"path": path})
            assert result.is_error and reason in _text(result), (path, _text(result))
        too_long = await client.call_tool("run_tests", {"path": "svc", "time_limit": 601})
        assert too_long.is_error
        newline = await client.call_tool("run_tests", {"path": "svc", "select": "a\nb"})
        assert newline.is_error and "one line" in _text(newline)


async def test_the_outcome_goes_into_the_tasks_phr(project: Path) -> None:
    _service(project)
    async with Client(build_server(project)) as client:
        await client.call_tool("run_tests", {"path": "svc"})
        phr = await client.call_tool(
            "create_phr",
            {"title": "Debug the adder", "stage": "general", "prompt": "fix add", "response": "r"},
        )
        record = (project / phr.structured_content["path"]).read_text()
    assert "run_tests svc (FAIL: 1 passed, 2 failed, 0 errors)" in record
    assert "tests: 0 PASS, 1 FAIL" in record
    assert "1 of 1 test run(s) failed" in record  # failure modes agree with the count


async def test_over_stdio(project: Path) -> None:
    _service(project)
    params = StdioServerParameters(
        command=str(DAPRDEV), args=["serve", "--root", str(project)], env=dict(os.environ)
    )
    async with Client(params) as client:
        result = await client.call_tool("run_tests", {"path": "svc"})
        assert not result.is_error, _text(result)
        report = result.structured_content
        assert (report["passed"], report["failed"]) == (1, 2)
        assert {f["id"] for f in report["failures"]} >= {"svc/tests/test_calc.py::test_parse"}
