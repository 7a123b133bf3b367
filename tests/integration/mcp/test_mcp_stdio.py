"""`daprdev serve` over stdio, as Claude Code spawns it: real subprocess, real JSON-RPC framing."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from daprdev_mcp_support import DAPRDEV, GOOD_MODULE, INITIALIZED, initialize
from mcp import Client, StdioServerParameters

from tools.workspace import Workspace

pytestmark = pytest.mark.timeout(180)


def _params(project: Path, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(DAPRDEV),
        args=["serve", "--root", str(project)],
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_tools_resources_and_prompt(project: Path, mode: str) -> None:
    async with Client(_params(project), mode=mode) as client:
        assert client.server_info.name == "daprdev"
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"write_files", "read_spec", "create_phr", "request_decision"} <= names

        written = await client.call_tool(
            "write_files", {"files": [{"path": "app/greet.py", "content": GOOD_MODULE}]}
        )
        assert not written.is_error, written.content
        assert (project / "app/greet.py").is_file()

        refused = await client.call_tool(
            "write_files", {"files": [{"path": "../evil.py", "content": "x = 1\n"}]}
        )
        assert refused.is_error and not (project.parent / "evil.py").exists()

        spec = await client.read_resource("spec://001-task-reminders")
        assert "task-reminders" in spec.contents[0].text
        prompt = await client.get_prompt("dapr-backend-developer", {})
        assert "dapr-backend-developer" in prompt.messages[0].content.text


async def test_root_comes_from_the_environment(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    params = StdioServerParameters(
        command=str(DAPRDEV),
        args=["serve"],
        env={**os.environ, "DAPRDEV_ROOT": str(project)},
        cwd=str(elsewhere),
    )
    async with Client(params) as client:
        listed = await client.call_tool("list_specs", {})
        assert [s["id"] for s in listed.structured_content["result"]] == ["001-task-reminders"]
    assert list(elsewhere.iterdir()) == []


async def test_server_entry_without_the_rest_of_the_cli(project: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "agent.commands.serve", "--root", str(project)],
        env=dict(os.environ),
    )
    async with Client(params) as client:
        listed = await client.call_tool("list_specs", {})
        assert [s["id"] for s in listed.structured_content["result"]] == ["001-task-reminders"]


def test_missing_root_is_a_usage_error(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(DAPRDEV), "serve", "--root", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2 and "not a folder" in run.stderr


# -- JSON-RPC fuzz ----------------------------------------------------------------------------

MALFORMED = [
    "not json at all",
    "{",
    "}",
    "[]",
    "[1, 2, 3]",
    "{}",
    "null",
    "true",
    "12",
    '"a string"',
    '{"jsonrpc": "2.0"}',
    '{"jsonrpc": "1.0", "id": 1, "method": "ping"}',
    '{"jsonrpc": "2.0", "id": {}, "method": "ping"}',
    '{"jsonrpc": "2.0", "id": 1, "method": 42}',
    '{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": "x"}',
    '{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": 5}}',
    '{"jsonrpc": "2.0", "id": 4, "method": "no/such/method"}',
    '{"jsonrpc": "2.0", "id": 5, "result": {}}',
    '{"jsonrpc": "2.0", "id": 6, "error": {"code": 1}}',
    '{"jsonrpc": "2.0", "method": "notifications/unknown"}',
    '{"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": {"protocolVersion": 1}}',
    '{"jsonrpc": "2.0", "id": 8, "method": "resources/read", "params": {"uri": "spec://../x"}}',
    "\x00\x01\x02",
    "\ufeff{}",
    "{" * 5000 + "}" * 5000,
    '{"jsonrpc": "2.0", "id": 9, "method": "ping", "params": {"x": "' + "y" * 200_000 + '"}}',
]


def _mutations(seed: int, count: int) -> list[str]:
    """Byte-level mutations of a valid tools/call line: deletions, flips and truncations."""
    valid = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 100,
            "method": "tools/call",
            "params": {"name": "write_files", "arguments": {"files": [{"path": "a.py"}]}},
        }
    )
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        chars = list(valid)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars))
            match rng.randrange(3):
                case 0:
                    del chars[at]
                case 1:
                    chars[at] = rng.choice('{}[]":,\\0x')
                case _:
                    chars = chars[:at]
        lines.append("".join(chars).replace("\n", " "))
    return lines


class _Lines:
    """stdout of the server, line by line, readable with a timeout."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._queue: queue.Queue[bytes] = queue.Queue()
        assert proc.stdout is not None
        threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True).start()

    def _pump(self, stdout: Any) -> None:
        for line in stdout:
            self._queue.put(line)

    def next_message(self, timeout: float = 60) -> Any:
        while True:
            line = self._queue.get(timeout=timeout)
            try:
                return json.loads(line)
            except ValueError:
                continue

    def answer_to(self, request_id: int, timeout: float = 60) -> dict[str, Any]:
        while True:
            line = self._queue.get(timeout=timeout)
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("id") == request_id:
                return message


def test_malformed_json_rpc_leaves_the_server_answering(project: Path) -> None:
    proc = subprocess.Popen(
        [str(DAPRDEV), "serve", "--root", str(project)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    lines = _Lines(proc)

    def send(text: str) -> None:
        assert proc.stdin is not None
        proc.stdin.write(text.encode("utf-8", "surrogatepass") + b"\n")
        proc.stdin.flush()

    def request(request_id: int, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        send(json.dumps(message))

    try:
        for junk in MALFORMED + _mutations(seed=7, count=150):
            send(junk)
        send(json.dumps(initialize(1000, "fuzz")))
        assert lines.answer_to(1000)["result"]["serverInfo"]["name"] == "daprdev"
        send(json.dumps(INITIALIZED))
        for junk in MALFORMED[:10]:
            send(junk)
        request(1001, "tools/list")
        tools = lines.answer_to(1001)["result"]["tools"]
        assert any(t["name"] == "write_files" for t in tools)
        request(1002, "tools/call", {"name": "list_specs", "arguments": {}})
        assert lines.answer_to(1002)["result"]["isError"] is False
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_startup_leaves_the_heavy_capabilities_unloaded(tmp_path: Path) -> None:
    """The gate (libcst, ruff), generator (jinja2), history and path patterns (pathspec, only for
    a project with write-allow or write-protect patterns) load on first use, not at start."""
    probe = (
        "import sys, tools.server\n"
        f"tools.server.build_server({str(tmp_path)!r})\n"
        "heavy = ('libcst', 'jinja2', 'tools.validate.gate', 'tools.codegen', 'tools.history',"
        " 'yaml', 'pathspec')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert run.stdout.strip() == ""


# -- SIGKILL of the server in the middle of a stream of change sets ---------------------------

KILL_FILES = ("notes/a.md", "notes/deep/b.md", "c.txt")


def _open_session(send: Any, lines: _Lines, client: str) -> None:
    """initialize, its answer, then initialized: what every raw session starts with."""
    send(initialize(1, client))
    lines.answer_to(1)
    send(INITIALIZED)


def _version(path: str, n: int) -> str:
    return f"version {n}\n" + f"{path} is at version {n}\n" * 2000 + "end\n"


def test_server_killed_mid_stream_leaves_whole_files(project: Path) -> None:
    proc = subprocess.Popen(
        [str(DAPRDEV), "serve", "--root", str(project)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    lines = _Lines(proc)

    def send(message: dict[str, Any]) -> None:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(message).encode() + b"\n")
        proc.stdin.flush()

    def feed() -> None:
        try:
            for n in range(1000):
                files = [{"path": p, "content": _version(p, n)} for p in KILL_FILES]
                send(
                    {
                        "jsonrpc": "2.0",
                        "id": 10 + n,
                        "method": "tools/call",
                        "params": {"name": "write_files", "arguments": {"files": files}},
                    }
                )
        except (BrokenPipeError, ValueError):
            pass  # the server was killed under us: that is the point

    _open_session(send, lines, "killer")
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    answered = 0
    while answered < 25:  # let some change sets land, then kill with more in flight
        message = lines.next_message()
        if isinstance(message, dict) and "result" in message:
            assert message["result"]["isError"] is False, message
            answered += 1
    proc.kill()
    proc.wait()
    feeder.join(timeout=30)
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError):  # closing flushes what the killed server never read
        proc.stdin.close()

    # What the next server does at start: finish or undo the change set the kill interrupted.
    Workspace(project).recover()
    versions = set()
    for path in KILL_FILES:
        text = (project / path).read_text()
        n = int(text.split("\n", 1)[0].removeprefix("version "))
        assert text == _version(path, n), f"{path} is torn"
        versions.add(n)
    assert len(versions) == 1, f"the change sets are mixed: {sorted(versions)}"
    assert list((project / ".daprdev" / "journal").iterdir()) == []
    assert [p for p in project.rglob("*") if ".daprdev-tmp" in p.name] == []


def test_a_cancelled_write_writes_nothing(project: Path) -> None:
    proc = subprocess.Popen(
        [str(DAPRDEV), "serve", "--root", str(project)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines = _Lines(proc)
    stderr: queue.Queue[bytes] = queue.Queue()

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderr.put(line)

    threading.Thread(target=pump_stderr, daemon=True).start()

    def send(message: dict[str, Any]) -> None:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(message).encode() + b"\n")
        proc.stdin.flush()

    try:
        _open_session(send, lines, "canceller")
        # Enough modules that the gate is still busy when the cancel arrives.
        files = [{"path": f"app/m{n}.py", "content": _CANCELLED_MODULE} for n in range(150)]
        send(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {
                    "name": "write_files",
                    "arguments": {"files": files},
                    "_meta": {"progressToken": "cancel-me"},
                },
            }
        )
        # The cancel follows the write's first progress notification: the call is then in
        # flight (a cancel that overtook it would be for a request the server does not know).
        while lines.next_message().get("method") != "notifications/progress":
            pass
        send(
            {
                "jsonrpc": "2.0",
                "method": "notifications/cancelled",
                "params": {"requestId": 2, "reason": "the user pressed escape"},
            }
        )
        while b"nothing was written" not in stderr.get(timeout=120):
            pass
        assert not (project / "app" / "m0.py").exists()
        assert list((project / "app").iterdir()) == []
        # The server goes on answering, and the next write lands.
        send(
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {
                    "name": "write_files",
                    "arguments": {"files": [{"path": "app/after.py", "content": GOOD_MODULE}]},
                },
            }
        )
        assert lines.answer_to(3)["result"]["isError"] is False
        assert (project / "app" / "after.py").is_file()
    finally:
        proc.kill()
        proc.wait()


_HANDLER = "async def handler_{n}(value: int) -> int:\n    return value + {n}\n"
_CANCELLED_MODULE = '"""A module of a cancelled change set."""\n\n\n' + "\n\n".join(
    _HANDLER.format(n=n) for n in range(60)
)
