"""Inputs that once went unanswered: each gets its JSON-RPC error, and the server answers on.

The real `daprdev serve`, over stdio (raw lines on its stdin, replies read with a timeout) and
over HTTP (raw POST bodies). After every attack a ping must be answered normally.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from daprdev_mcp_support import DAPRDEV, INITIALIZED, initialize
from http_support import HttpServer, running_http_server

pytestmark = pytest.mark.timeout(180)

PARSE_ERROR, INVALID_REQUEST = -32700, -32600
DEEP = 100_000
HUGE = 16 << 20
INITIALIZE = initialize("init", "attacker")


def _request(request_id: object, params: str) -> bytes:
    """A ping in the member order of the Python SDK: the id before the params."""
    head = f'{{"jsonrpc":"2.0","id":{json.dumps(request_id)},"method":"ping","params":'
    return f"{head}{params}}}".encode()


def _id_last(request_id: object, params: str) -> bytes:
    """A ping in the member order of the TypeScript SDK (Claude Code's): the id after the params."""
    tail = f',"jsonrpc":"2.0","id":{json.dumps(request_id)}}}'
    return f'{{"method":"ping","params":{params}{tail}'.encode()


@dataclass(frozen=True)
class Attack:
    payload: bytes
    answers: list[tuple[object, int]]  # (id, code) of each error expected, in order
    says: str  # in every error's message
    batch: bool = False
    # Over HTTP, where it differs: a broken response still gets an answer (the POST needs one),
    # and an oversized body is refused on its Content-Length, before any id is read.
    http_answers: list[tuple[object, int]] | None = None
    http_status: int = 400


ATTACKS = {
    "batch": Attack(
        json.dumps(
            [
                {"jsonrpc": "2.0", "id": 11, "method": "ping"},
                {"jsonrpc": "2.0", "id": "b", "method": "ping"},
            ]
        ).encode(),
        [(11, INVALID_REQUEST), ("b", INVALID_REQUEST)],
        "batches are not supported",
        batch=True,
    ),
    "batch without ids": Attack(
        b"[1, 2, 3]", [(None, INVALID_REQUEST)], "batches are not supported", batch=True
    ),
    "lone surrogate": Attack(
        _request(21, '{"x": "\\ud800"}'), [(21, INVALID_REQUEST)], "lone UTF-16 surrogate"
    ),
    "lone surrogate as the id": Attack(
        b'{"jsonrpc":"2.0","id":"\\udc00","method":"ping"}',
        [(None, INVALID_REQUEST)],
        "lone UTF-16 surrogate",
    ),
    "bytes that are not UTF-8": Attack(
        b'{"jsonrpc":"2.0","id":22,"method":"ping","params":{"x":"\xff"}}',
        [(22, INVALID_REQUEST)],
        "not UTF-8",
    ),
    "100k-deep JSON": Attack(
        b"[" * DEEP + b"]" * DEEP, [(None, PARSE_ERROR)], "nested more than 200 levels"
    ),
    "100k-deep params": Attack(
        _request(31, "[" * DEEP + "]" * DEEP), [(31, INVALID_REQUEST)], "nested more than 200"
    ),
    "100k-deep params, id last": Attack(
        _id_last(32, "[" * DEEP + "]" * DEEP), [(32, INVALID_REQUEST)], "nested more than 200"
    ),
    "201-deep params": Attack(
        _request(33, '{"a":' * 200 + "1" + "}" * 200),
        [(33, INVALID_REQUEST)],
        "nested more than 200",
    ),
    "100k-digit integer": Attack(b"1" * DEEP, [(None, PARSE_ERROR)], "100000 digits"),
    "100k-digit integer in params": Attack(
        _request(41, '{"n": ' + "7" * DEEP + "}"), [(41, INVALID_REQUEST)], "100000 digits"
    ),
    "100k-digit id": Attack(
        b'{"jsonrpc":"2.0","id":' + b"9" * DEEP + b',"method":"ping"}',
        [(None, PARSE_ERROR)],
        "100000 digits",
    ),
    "16 MiB line": Attack(
        _request(51, '{"x": "' + "y" * HUGE + '"}'),
        [(51, INVALID_REQUEST)],
        "larger than 12 MiB",
        http_answers=[(None, PARSE_ERROR)],
        http_status=413,
    ),
    "16 MiB line, id last": Attack(
        _id_last("big", '{"x": "' + "y" * HUGE + '"}'),
        [("big", INVALID_REQUEST)],
        "larger than 12 MiB",
        http_answers=[(None, PARSE_ERROR)],
        http_status=413,
    ),
    "boolean id": Attack(
        b'{"jsonrpc":"2.0","id":true,"method":"ping"}',
        [(None, INVALID_REQUEST)],
        "id must be a string or an integer",
    ),
    "not JSON": Attack(b"not json at all", [(None, PARSE_ERROR)], "not JSON"),
    "broken response": Attack(
        b'{"jsonrpc":"2.0","id":6,"error":{"code":1}}',
        [],
        "error.message",
        http_answers=[(None, INVALID_REQUEST)],
    ),
}

_PINGS = itertools.count(1000)


def _ping(request_id: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "ping"}


# -- stdio --------------------------------------------------------------------------------------


class _Wire:
    """`daprdev serve` over stdio: raw lines in, messages out, each read with a timeout."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            [str(DAPRDEV), "serve", "--root", str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        self._messages: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()

    def _pump(self, stdout: IO[bytes]) -> None:
        for line in stdout:
            self._messages.put(line)

    def send(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def before_result(self, request_id: object) -> list[dict[str, Any]]:
        """Every message up to the result answering `request_id` (queue.Empty if none comes)."""
        before: list[dict[str, Any]] = []
        while True:
            message = json.loads(self._messages.get(timeout=60))
            if message.get("id") == request_id and "result" in message:
                return before
            before.append(message)


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Wire]:
    wire = _Wire(tmp_path_factory.mktemp("stdio"))
    try:
        wire.send(json.dumps(INITIALIZE).encode())
        assert wire.before_result("init") == []
        wire.send(json.dumps(INITIALIZED).encode())
        yield wire
    finally:
        wire.proc.kill()
        wire.proc.wait()


@pytest.mark.parametrize("name", list(ATTACKS))
def test_stdio_answers_the_attack_then_the_next_request(wire: _Wire, name: str) -> None:
    attack = ATTACKS[name]
    ping = next(_PINGS)
    wire.send(attack.payload)
    wire.send(json.dumps(_ping(ping)).encode())
    replies = wire.before_result(ping)
    assert [(r["id"], r["error"]["code"]) for r in replies] == attack.answers
    assert all(attack.says in r["error"]["message"] for r in replies), replies
    assert wire.proc.poll() is None


# -- HTTP ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def session(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[HttpServer, dict[str, str]]]:
    root = tmp_path_factory.mktemp("http")
    with running_http_server(root, root / "serve.log") as server:
        headers = {
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            **server.auth,
        }
        started = httpx.post(server.url, json=INITIALIZE, headers=headers, timeout=30)
        assert started.status_code == 200, started.text
        headers["mcp-session-id"] = started.headers["mcp-session-id"]
        headers["mcp-protocol-version"] = "2025-11-25"
        httpx.post(server.url, json=INITIALIZED, headers=headers, timeout=30).raise_for_status()
        yield server, headers


@pytest.mark.parametrize("name", list(ATTACKS))
def test_http_answers_the_attack_then_the_next_request(
    session: tuple[HttpServer, dict[str, str]], name: str
) -> None:
    server, headers = session
    attack = ATTACKS[name]
    refused = httpx.post(server.url, content=attack.payload, headers=headers, timeout=60)
    assert refused.status_code == attack.http_status, refused.text
    body = refused.json()
    errors = body if attack.batch else [body]
    expected = attack.answers if attack.http_answers is None else attack.http_answers
    assert [(e["id"], e["error"]["code"]) for e in errors] == expected
    assert all(e["jsonrpc"] == "2.0" and attack.says in e["error"]["message"] for e in errors)

    ping = next(_PINGS)
    answered = httpx.post(server.url, json=_ping(ping), headers=headers, timeout=30)
    assert answered.status_code == 200
    assert f'"id":{ping},"result":{{}}' in answered.text
