"""`edit_files` and the `formatted` report through `mcp.Client`, in both protocol modes: exact-text
edits through the same gate and write path as `write_files`, all or nothing, answered with a diff
of what changed on disk, never the whole file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tools.server import build_server


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _module(functions: int) -> str:
    """A formatted module of `functions` small async functions (about 4 lines each)."""
    body = "".join(
        f"\n\nasync def step_{n}(value: int) -> int:\n    return value + {n}\n"
        for n in range(functions)
    )
    return '"""Steps."""\n' + body


MODULE = _module(60)  # ~250 lines
SYNC_CLIENT = "from dapr.clients import DaprClient\n"


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def steps(project: Path) -> Path:
    (project / "app" / "steps.py").write_text(MODULE)
    (project / "app" / "other.py").write_text(_module(2))
    return project


async def _edit(client: Client, *edits: dict[str, Any], dry_run: bool = False) -> Any:
    return await client.call_tool("edit_files", {"edits": list(edits), "dry_run": dry_run})


async def test_an_edit_is_written_and_answered_with_a_diff(mode: str, steps: Path) -> None:
    async with Client(build_server(steps), mode=mode) as client:
        result = await _edit(
            client,
            {"path": "app/steps.py", "old": "return value + 7\n", "new": "return value * 7\n"},
            {"path": "app/steps.py", "old": "async def step_9(", "new": "async def step_nine("},
        )
        assert not result.is_error, _text(result)
    on_disk = (steps / "app/steps.py").read_text()
    assert "return value * 7" in on_disk and "async def step_nine(" in on_disk
    [written] = result.structured_content["files"]
    assert written["action"] == "updated" and written["formatted"] is False
    assert written["sha256"] == hashlib.sha256(on_disk.encode()).hexdigest()
    diff = written["diff"]
    assert "-    return value + 7" in diff and "+    return value * 7" in diff
    assert "+async def step_nine(value: int) -> int:" in diff
    # A compact answer: the two changes with a line of context, not the module.
    assert len(diff) < 600 and len(str(result.structured_content)) < len(MODULE) / 4


async def test_a_bad_edit_leaves_every_file_byte_for_byte(mode: str, steps: Path) -> None:
    async with Client(build_server(steps), mode=mode) as client:
        before = _tree(steps)
        good = {"path": "app/other.py", "old": "value + 1", "new": "value - 1"}
        cases = [
            ({"path": "app/steps.py", "old": "return value + 999", "new": "x"}, "closest text"),
            ({"path": "app/steps.py", "old": "return value", "new": "x"}, "occurs 60 times"),
            (
                {"path": "app/steps.py", "old": "async def step_3(value: int) -> int:\n  return"},
                "different whitespace",
            ),
            ({"path": "app/missing.py", "old": "a", "new": "b"}, "create new files"),
            ({"path": ".git/config", "old": "a", "new": "b"}, "version-control"),
            ({"path": "app/steps.py", "old": "", "new": "b"}, "`old` is empty"),
            ({"path": "app/steps.py", "old": "step_1(", "new": "step_1("}, "change nothing"),
        ]
        for bad, said in cases:
            result = await _edit(client, good, {"new": "async def x():\n    return", **bad})
            text = _text(result)
            assert result.is_error and said in text and "Nothing was written" in text, text
        # The edits apply but the result fails the gate: refused as a whole, both files kept.
        gated = {
            "path": "app/steps.py",
            "old": '"""Steps."""\n',
            "new": '"""Steps."""\n' + SYNC_CLIENT,
        }
        result = await _edit(client, good, gated)
        assert result.is_error and "NOT written" in _text(result), _text(result)
        assert _tree(steps) == before


async def test_replace_all_and_the_nearest_text_of_an_ambiguous_edit(
    mode: str, steps: Path
) -> None:
    async with Client(build_server(steps), mode=mode) as client:
        result = await _edit(
            client,
            {"path": "app/steps.py", "old": "value: int", "new": "n: int", "replace_all": True},
            {"path": "app/steps.py", "old": "return value", "new": "return n", "replace_all": True},
        )
        assert not result.is_error, _text(result)
    text = (steps / "app/steps.py").read_text()
    assert "value" not in text and text.count("n: int") == 60


async def test_a_dry_run_shows_the_diff_and_writes_nothing(mode: str, steps: Path) -> None:
    async with Client(build_server(steps), mode=mode) as client:
        before = _tree(steps)
        result = await _edit(
            client, {"path": "app/other.py", "old": "value + 1", "new": "value + 2"}, dry_run=True
        )
        assert not result.is_error and result.structured_content["dry_run"] is True
        assert "+    return value + 2" in result.structured_content["files"][0]["diff"]
        assert _tree(steps) == before


async def test_the_gate_says_when_it_reformatted_what_was_sent(mode: str, steps: Path) -> None:
    async with Client(build_server(steps), mode=mode) as client:
        written = await client.call_tool(
            "write_files",
            {
                "files": [
                    {"path": "app/loose.py", "content": "async def f( a:int )->int:\n  return a\n"}
                ]
            },
        )
        edited = await _edit(
            client, {"path": "app/other.py", "old": "value + 1\n", "new": "value+1 # one\n"}
        )
    [loose] = written.structured_content["files"]
    assert loose["formatted"] is True
    assert "+async def f(a: int) -> int:" in loose["formatting"]
    assert (steps / "app/loose.py").read_text() == "async def f(a: int) -> int:\n    return a\n"
    [other] = edited.structured_content["files"]
    assert other["formatted"] is True and "+    return value + 1  # one" in other["formatting"]
    assert "+    return value + 1  # one" in other["diff"]
