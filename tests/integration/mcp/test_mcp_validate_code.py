"""`validate_code` through `mcp.Client`, in both protocol modes: the gate on files already on disk
(read through the workspace) as well as on sent ones, the autofixes it proposes as diffs without
writing, hints that name only what the agent can call, and excerpts that show the offending line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tools.changes import Diagnostic
from tools.findings import FIX_TOOL, compact, excerpt_window
from tools.server import build_server
from tools.validate.policy import POLICY_RULES
from tools.validate.project import UnservedRoute
from tools.validate.rules import ALL_RULES
from tools.validate.syntax import RUNNING


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# A synchronous client in async code (DAPR001, auto-fixable) and an unused import (ruff F401,
# with a safe fix). A lone coroutine given nothing to work on, run once: its client is made once
# (DAPR008 would judge one given an order, called once per operation).
PUBLISHER = '''"""Publisher."""

import os

from dapr.clients import DaprClient


async def announce() -> None:
    with DaprClient() as client:
        client.publish_event("pubsub", "orders", "o-1", data_content_type="application/json")
'''


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def _validate(client: Client, **arguments: Any) -> Any:
    return await client.call_tool("validate_code", arguments)


@pytest.fixture
def publisher(project: Path) -> Path:
    (project / "app" / "pub.py").write_text(PUBLISHER)
    return project


async def test_a_file_on_disk_is_checked_where_it_lies(mode: str, publisher: Path) -> None:
    async with Client(build_server(publisher), mode=mode) as client:
        result = await _validate(client, paths=["app/pub.py"])
    assert not result.is_error, _text(result)
    checked = result.structured_content
    # What the file already has is reported, and does not block (as for a write of it).
    assert checked["ok"] is True and checked["blocking"] == 0 and checked["fixes"] == []
    [dapr] = [d for d in checked["diagnostics"] if " DAPR001 " in d]
    assert dapr.startswith("app/pub.py:5:") and "[not blocking]" in dapr.splitlines()[0]
    assert f"(auto-fixable: {FIX_TOOL})" in dapr and "daprdev check" not in dapr
    assert "5 █ from dapr.clients import DaprClient" in dapr
    assert any(" F401 " in d for d in checked["diagnostics"])


async def test_fix_proposes_the_diff_and_a_clean_gate_and_writes_nothing(
    mode: str, publisher: Path
) -> None:
    async with Client(build_server(publisher), mode=mode) as client:
        before = _tree(publisher)
        result = await _validate(client, paths=["app/pub.py"], fix=True)
        assert not result.is_error, _text(result)
        assert _tree(publisher) == before
        checked = result.structured_content
        assert checked == {**checked, "ok": True, "blocking": 0, "diagnostics": []}
        [fixed] = checked["fixes"]
        head, diff = fixed.split("\n", 1)
        assert head == "app/pub.py: fixed DAPR001, ruff safe fixes"
        assert "-from dapr.clients import DaprClient" in diff
        assert "+from dapr.aio.clients import DaprClient" in diff
        assert "+    async with DaprClient() as client:" in diff
        assert "-import os" in diff
        # The agent applies the diff with edit_files: each hunk's old lines become its new ones.
        edits = [{"path": "app/pub.py", "old": old, "new": new} for old, new in _hunks(diff) if old]
        written = await client.call_tool("edit_files", {"edits": edits})
        assert not written.is_error, _text(written)
        again = await _validate(client, paths=["app/pub.py"])
    assert again.structured_content["diagnostics"] == []
    assert "async with DaprClient()" in (publisher / "app/pub.py").read_text()


def _hunks(diff: str) -> list[tuple[str, str]]:
    """(old text, new text) of each hunk of a unified diff."""
    hunks: list[tuple[list[str], list[str]]] = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            hunks.append(([], []))
            continue
        old, new = hunks[-1]
        if line.startswith("-"):
            old.append(line[1:])
        elif line.startswith("+"):
            new.append(line[1:])
        else:
            old.append(line[1:])
            new.append(line[1:])
    return [("\n".join(old) + "\n", "\n".join(new) + "\n") for old, new in hunks]


async def test_sent_files_are_fixed_too_and_checked_beside_files_on_disk(
    mode: str, publisher: Path
) -> None:
    sent = {"path": "app/other.py", "content": PUBLISHER}
    async with Client(build_server(publisher), mode=mode) as client:
        plain = await _validate(client, files=[sent], paths=["app/pub.py"])
        fixed = await _validate(client, files=[sent], paths=["app/pub.py"], fix=True)
    # Sent content is new: its findings block; the file on disk keeps its old ones unblocking.
    assert plain.structured_content["ok"] is False
    assert plain.structured_content["diagnostics"][0].startswith("app/other.py:")
    assert fixed.structured_content["ok"] is True
    assert [f.split(":")[0] for f in fixed.structured_content["fixes"]] == [
        "app/other.py",
        "app/pub.py",
    ]
    assert not (publisher / "app/other.py").exists()


async def test_paths_outside_the_root_or_refused_by_the_read_policy(
    mode: str, publisher: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(PUBLISHER)
    (publisher / "app" / "link.py").symlink_to(outside)
    (publisher / ".git").mkdir()
    (publisher / ".git" / "config").write_text("[core]\n")
    cases = {
        "../outside.py": "inside the project root",
        str(outside): "absolute",
        "app/link.py": "outside the project root",
        ".git/config": "not readable",
        ".daprdev/server-token": "not readable",
        "app/missing.py": "does not exist",
        "app": "not a regular file",
    }
    async with Client(build_server(publisher), mode=mode) as client:
        for path, said in cases.items():
            result = await _validate(client, paths=["app/pub.py", path])
            text = _text(result)
            assert result.is_error and said in text and "Nothing was checked" in text, text
            assert "DAPR001" not in text  # refused before the gate ran
        # Every refused path is named at once.
        result = await _validate(client, paths=list(cases))
        assert result.is_error and all(said in _text(result) for said in cases.values())


async def test_neither_files_nor_paths_is_a_clear_error(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        for arguments in ({}, {"files": [], "paths": []}, {"fix": True}):
            result = await _validate(client, **arguments)
            text = _text(result)
            assert result.is_error and "nothing to check" in text, text
            assert "`files`" in text and "`paths`" in text
        # The server keeps answering.
        good = await _validate(client, files=[{"path": "app/a.py", "content": "X = 1\n"}])
        assert good.structured_content["ok"] is True


async def test_a_refused_write_points_to_the_fix_tool(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        result = await client.call_tool(
            "write_files", {"files": [{"path": "app/pub.py", "content": PUBLISHER}]}
        )
    text = _text(result)
    assert result.is_error and "NOT written" in text
    assert f"(auto-fixable: {FIX_TOOL})" in text and "daprdev check" not in text


def _long_module() -> str:
    """A module whose async function is too long to show whole, a blocking call at line 40."""
    lines = ['"""Ticks."""', "", "import time", "", ""]
    lines.append("async def tick(count: int) -> int:")  # line 6
    lines += [f"    count += {n}" for n in range(7, 40)]
    lines.append("    time.sleep(1)")  # line 40
    lines += [f"    count -= {n}" for n in range(41, 50)]
    lines.append("    return count")
    return "\n".join(lines) + "\n"


async def test_the_excerpt_shows_the_marked_line_of_a_finding_at_line_40(
    mode: str, project: Path
) -> None:
    module = _long_module()
    assert module.splitlines()[39] == "    time.sleep(1)"
    async with Client(build_server(project), mode=mode) as client:
        result = await _validate(client, files=[{"path": "app/tick.py", "content": module}])
    [finding] = result.structured_content["diagnostics"]
    assert finding.startswith("app/tick.py:40:5 ASYNC251 ")
    shown = [line for line in finding.splitlines() if line.startswith("  > ")]
    assert shown == [
        "  > 39       count += 39",
        "  > 40 █     time.sleep(1)",
        "  > 41       count -= 41",
    ]


def test_the_excerpt_window_is_bounded() -> None:
    rows = [f"{n:>3} {'█' if 10 <= n <= 30 else ' '} {'x' * 500}" for n in range(1, 40)]
    window = excerpt_window("\n".join(rows))
    assert len(window) == 5 and window[0].startswith("  9  ") and window[1].startswith(" 10 █")
    assert all(len(line) <= 160 for line in window)
    # Without a marked line (a whole-file finding), the excerpt's start.
    assert excerpt_window("1   a\n2   b\n3   c\n4   d") == ["1   a", "2   b", "3   c"]


# What the agent cannot run: any daprdev command (it has the server's tools, no shell).
_CLI_COMMAND = re.compile(
    r"\bdaprdev (check|doctor|generate|init|run|serve|spec|adr|phr)\b|\brun daprdev\b", re.I
)


def test_no_hint_over_mcp_names_a_command_the_agent_cannot_run() -> None:
    hints = [rule.fix for rule in ALL_RULES] + [rule.fix for rule in POLICY_RULES]
    hints.append(UnservedRoute.fix)
    for fix in hints:
        for fixable in (False, True):
            d = Diagnostic(rule="X", source="dapr", path="a.py", message="m", fix=fix)
            shown = compact(d.model_copy(update={"fixable": fixable}))
            assert not _CLI_COMMAND.search(shown), shown


@pytest.mark.skipif(RUNNING >= (3, 14), reason="this interpreter parses the file itself")
async def test_the_rules_skipped_note_is_worded_for_the_agent(mode: str, project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.daprdev]\ntarget-version = "py314"\n')
    # Valid 3.14, but `except A,B:` leaves no room for the parentheses an older tree needs.
    source = "try:\n    pass\nexcept ValueError,TypeError:\n    pass\n"
    async with Client(build_server(project), mode=mode) as client:
        result = await _validate(client, files=[{"path": "app/new.py", "content": source}])
    [note] = result.structured_content["diagnostics"]
    assert " dapr-rules-skipped " in note and "[not blocking]" in note
    assert "the server on Python 3.14 or newer; tell your caller" in note
    assert not _CLI_COMMAND.search(note), note
