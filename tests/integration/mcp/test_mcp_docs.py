"""Every tool example in docs/mcp.md runs as written against the example project."""

from __future__ import annotations

import json
import re
from pathlib import Path

from daprdev_mcp_support import REPO
from mcp import Client

from tools.server import build_server

EXAMPLE = re.compile(r"--tool-name (\w+) --tool-args-json '([^']*)'")


def _examples() -> list[tuple[str, dict[str, object]]]:
    text = (REPO / "docs" / "mcp.md").read_text(encoding="utf-8")
    return [(name, json.loads(arguments)) for name, arguments in EXAMPLE.findall(text)]


async def test_every_tool_has_a_documented_example() -> None:
    documented = {name for name, _ in _examples()}
    async with Client(build_server(REPO)) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
    assert documented == tools


async def test_documented_examples_run(project: Path) -> None:
    async with Client(build_server(project)) as client:
        for name, arguments in _examples():
            result = await client.call_tool(name, arguments)
            text = "".join(c.text for c in result.content if c.type == "text")
            assert not result.is_error, f"{name}: {text}"
    assert (project / "app" / "greetings.py").is_file()
