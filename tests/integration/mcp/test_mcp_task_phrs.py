"""PHRs that tell the truth, through the real mcp client: each lists its own task's files, gate
runs and tests (since the previous PHR of the same client session), its failure modes agree with
the gate's counts, and over HTTP every client session has its own work log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from daprdev_mcp_support import BROKEN_MODULE, GOOD_MODULE
from http_support import HttpServer
from mcp import Client

from tools.server import build_server

pytestmark = pytest.mark.timeout(180)


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def _front_matter(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


async def _write(client: Client, path: str, content: str = GOOD_MODULE) -> Any:
    return await client.call_tool("write_files", {"files": [{"path": path, "content": content}]})


async def _phr(client: Client, title: str, **extra: Any) -> Path:
    arguments = {"title": title, "stage": "general", "prompt": title, "response": "done", **extra}
    result = await client.call_tool("create_phr", arguments)
    assert not result.is_error, _text(result)
    return Path(result.structured_content["path"])


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_second_tasks_phr_lists_only_that_tasks_files(project: Path, mode: str) -> None:
    async with Client(build_server(project), mode=mode) as client:
        assert not (await _write(client, "app/first.py")).is_error
        first = await _phr(client, "First task")
        assert not (await _write(client, "app/second.py")).is_error
        second = await _phr(client, "Second task")
    assert _front_matter(project / first)["files"] == ["app/first.py"]
    assert _front_matter(project / second)["files"] == ["app/second.py"]
    second_text = (project / second).read_text()
    assert "app/first.py" not in second_text
    assert "daprdev gate: 1 PASS, 0 FAIL" in second_text


async def test_failure_modes_agree_with_the_gate_counts(project: Path) -> None:
    async with Client(build_server(project)) as client:
        assert (await _write(client, "app/broken.py", BROKEN_MODULE)).is_error
        assert not (await _write(client, "app/broken.py")).is_error
        record = (project / await _phr(client, "Fix a module")).read_text()
        assert "daprdev gate: 1 PASS, 1 FAIL" in record
        assert "Failure modes observed: the gate refused 1 of 2 change set(s)" in record

        assert not (await _write(client, "app/clean.py")).is_error
        clean = (project / await _phr(client, "Clean task")).read_text()
        assert "daprdev gate: 1 PASS, 0 FAIL" in clean  # the refusal was the first task's
        assert "Failure modes observed: none\n" in clean


async def test_a_refused_phr_keeps_the_tasks_facts_for_the_next_try(project: Path) -> None:
    async with Client(build_server(project)) as client:
        assert not (await _write(client, "app/kept.py")).is_error
        refused = await client.call_tool(
            "create_phr", {"title": "t", "stage": "nonsense", "prompt": "p", "response": "r"}
        )
        assert refused.is_error
        record = await _phr(client, "Kept facts")
    assert _front_matter(project / record)["files"] == ["app/kept.py"]


async def test_model_and_command_are_filled_where_known(project: Path) -> None:
    async with Client(build_server(project), mode="legacy") as client:
        given = await _phr(client, "Given", model="claude-opus-4-1", command="/sp.implement")
        derived = await _phr(client, "Derived")
    assert _front_matter(project / given)["model"] == "claude-opus-4-1"
    assert _front_matter(project / given)["command"] == "/sp.implement"
    # The client introduced itself in the handshake: the record says which client did the work.
    assert _front_matter(project / derived)["command"].startswith("MCP client ")


async def test_list_phrs_filters_and_leaves_out_file_lists(project: Path) -> None:
    async with Client(build_server(project)) as client:
        await _write(client, "app/listed.py")
        await _phr(client, "General one")
        await _phr(client, "Green one", stage="green", feature="001-task-reminders")
        await _phr(client, "Green two", stage="green", feature="001-task-reminders")
        every = (await client.call_tool("list_phrs", {})).structured_content["result"]
        assert len(every) == 3 and all("files" not in r and "tests" not in r for r in every)
        green = await client.call_tool("list_phrs", {"stage": "green", "limit": 1})
        assert [r["title"] for r in green.structured_content["result"]] == ["Green two"]
        feature = await client.call_tool("list_phrs", {"feature": "001-task-reminders"})
        assert {r["title"] for r in feature.structured_content["result"]} == {
            "Green one",
            "Green two",
        }
        none = await client.call_tool("list_phrs", {"stage": "spec"})
        assert none.structured_content["result"] == []


async def test_over_http_each_client_session_has_its_own_work_log(
    http_endpoint: HttpServer, project: Path
) -> None:
    async with (
        http_endpoint.client(mode="legacy") as alice,
        http_endpoint.client(mode="legacy") as bob,
    ):
        assert not (await _write(alice, "app/alice.py")).is_error
        assert not (await _write(bob, "app/bob.py")).is_error
        assert (await _write(bob, "app/bob_broken.py", BROKEN_MODULE)).is_error
        alice_phr = project / await _phr(alice, "Alice task")
        bob_phr = project / await _phr(bob, "Bob task")
        assert not (await _write(alice, "app/alice_two.py")).is_error
        alice_second = project / await _phr(alice, "Alice second task")
    assert _front_matter(alice_phr)["files"] == ["app/alice.py"]
    assert _front_matter(bob_phr)["files"] == ["app/bob.py"]
    assert "daprdev gate: 1 PASS, 0 FAIL" in alice_phr.read_text()
    assert "daprdev gate: 1 PASS, 1 FAIL" in bob_phr.read_text()
    assert _front_matter(alice_second)["files"] == ["app/alice_two.py"]
