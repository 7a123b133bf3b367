"""`daprdev serve --transport http` for the tests: started on port 0, its URL and token read back.

Also a loopback proxy that adds the token to every request, for clients that cannot send headers
(the MCP conformance suite).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import uvicorn
from daprdev_mcp_support import DAPRDEV
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

# What `daprdev serve --transport http` prints to stderr once it listens.
_ENDPOINT = re.compile(r"^daprdev serve: MCP endpoint (http://127\.0\.0\.1:(\d+)/mcp)$", re.M)
_HOP_BY_HOP = {b"host", b"connection", b"content-length", b"transfer-encoding", b"keep-alive"}


@dataclass(frozen=True)
class HttpServer:
    """A running `daprdev serve --transport http`."""

    url: str
    port: int
    token: str
    token_file: Path
    log: Path

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @asynccontextmanager
    async def client(self, token: str | None = None, mode: str = "auto") -> AsyncIterator[Client]:
        """The real MCP client over HTTP, sending `token` (by default the server's own)."""
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        timeout = httpx2.Timeout(30, read=300)
        async with (
            httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
            Client(streamable_http_client(self.url, http_client=http), mode=mode) as client,
        ):
            yield client


@contextmanager
def running_http_server(
    project: Path, log: Path, *options: str, token_file: Path | None = None
) -> Iterator[HttpServer]:
    """`daprdev serve --transport http --port 0` on `project`, stopped on exit."""
    command = [str(DAPRDEV), "serve", "--transport", "http", "--root", str(project), "--port", "0"]
    if token_file is not None:
        command += ["--token-file", str(token_file)]
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [*command, *options],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "NO_COLOR": "1"},
        )
    try:
        url, port = _wait_for_endpoint(proc, log)
        path = token_file or project / ".daprdev" / "server-token"
        yield HttpServer(url, port, path.read_text().strip(), path, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for_endpoint(proc: subprocess.Popen[bytes], log: Path) -> tuple[str, int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"daprdev serve exited: {log.read_text()[-2000:]}")
        found = _ENDPOINT.search(log.read_text(errors="replace"))
        if found:
            return found.group(1), int(found.group(2))
        time.sleep(0.05)
    raise AssertionError("daprdev serve --transport http printed no endpoint within 60 s")


# -- a proxy that adds the bearer token ---------------------------------------------------------


@contextmanager
def token_proxy(server: HttpServer) -> Iterator[str]:
    """A loopback URL whose requests reach `server` with its token added and nothing else changed.

    Host and Origin naming the proxy are rewritten to name the server, so that the server's own
    DNS-rebinding checks still judge every other Host and Origin a client sends.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = int(listener.getsockname()[1])
    renames = {
        f"127.0.0.1:{port}".encode(): f"127.0.0.1:{server.port}".encode(),
        f"localhost:{port}".encode(): f"localhost:{server.port}".encode(),
    }

    async def forward(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return  # lifespan: nothing to start
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = [
            (name, _renamed(value, renames))
            for name, value in scope["headers"]
            if name not in _HOP_BY_HOP or name == b"host"
        ]
        headers.append((b"authorization", f"Bearer {server.token}".encode()))
        target = f"http://127.0.0.1:{server.port}{scope['path']}"
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode()
        async with httpx.AsyncClient(timeout=None) as http:
            request = http.build_request(scope["method"], target, headers=headers, content=body)
            response = await http.send(request, stream=True)
            try:
                await _relay(response, receive, send)
            finally:
                await response.aclose()

    server_thread = uvicorn.Server(
        uvicorn.Config(forward, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server_thread.run, kwargs={"sockets": [listener]})
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if server_thread.started:
                break
            time.sleep(0.01)
        else:
            raise AssertionError("the token proxy did not start within 30 s")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server_thread.should_exit = True
        thread.join(timeout=30)
        listener.close()


async def _relay(response: httpx.Response, receive: Any, send: Any) -> None:
    """Stream `response` back (SSE included) until it ends or the client goes away."""
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": [
                (name, value)
                for name, value in response.headers.raw
                if name.lower() not in _HOP_BY_HOP
            ],
        }
    )
    async with anyio.create_task_group() as streams:

        async def until_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            streams.cancel_scope.cancel()

        streams.start_soon(until_disconnect)
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        streams.cancel_scope.cancel()


def _renamed(value: bytes, renames: dict[bytes, bytes]) -> bytes:
    for proxy, real in renames.items():
        if value in (proxy, b"http://" + proxy):
            return value.replace(proxy, real)
    return value
