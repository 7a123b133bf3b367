"""The MCP server over streamable HTTP on 127.0.0.1, behind a per-start bearer token.

Loopback is not a boundary: any local process or user can reach the port, so every request must
carry `Authorization: Bearer <token>` with the token this start created. In front of the SDK's
app, outermost first:

1. the token, compared in constant time (401 with `WWW-Authenticate: Bearer` otherwise);
2. the body of each POST to the endpoint, bounded (413) and screened like a stdio line (400),
   both answered with JSON-RPC errors;
3. then the SDK's own checks: Host and Origin against the real host:port (DNS rebinding), the
   session, the message.

The socket is bound before anything else, so that `--port 0` allows the port it was given.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import uvicorn
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import INVALID_REQUEST, ErrorData, JSONRPCError
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tools.errors import UsageError
from tools.transport.messages import (
    KEPT_BYTES,
    MAX_MESSAGE_BYTES,
    Refusal,
    refuse_oversized,
    screen,
)
from tools.transport.token_file import issue_token

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

HOST = "127.0.0.1"
ENDPOINT = "/mcp"

_log = logging.getLogger(__name__)


def serve_http(server: MCPServer, *, port: int, token_file: Callable[[], Path]) -> None:
    """Serve `server` on 127.0.0.1:`port` (0: any free port) until interrupted.

    Prints the endpoint's URL and the token to stderr; the token also goes to the file
    `token_file()` names, asked for only once the port is bound (a busy port writes nothing).
    """
    listener = _listen(port)
    with listener:
        bound = int(listener.getsockname()[1])
        token_path = token_file()
        token = issue_token(token_path)
        url = f"http://{HOST}:{bound}{ENDPOINT}"
        sys.stderr.write(
            f"daprdev serve: MCP endpoint {url}\n"
            f"daprdev serve: bearer token {token} (also in {token_path}, mode 0600); "
            "send it as 'Authorization: Bearer <token>'\n"
        )
        sys.stderr.flush()
        config = uvicorn.Config(
            guarded_app(server, port=bound, token=token),
            host=HOST,
            port=bound,
            ws="none",  # no WebSocket route exists; upgrades stay plain HTTP requests
            log_level=server.settings.log_level.lower(),
        )
        anyio.run(uvicorn.Server(config).serve, [listener])


def guarded_app(server: MCPServer, *, port: int, token: str) -> ASGIApp:
    """The SDK's streamable HTTP app behind the token and the body screen, for `port`."""
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{HOST}:{port}", f"localhost:{port}"],
        allowed_origins=[f"http://{HOST}:{port}", f"http://localhost:{port}"],
    )
    app = server.streamable_http_app(
        streamable_http_path=ENDPOINT,
        transport_security=security,
        max_request_body_size=MAX_MESSAGE_BYTES,  # the same bound as a stdio line
        host=HOST,
    )
    return BearerToken(ScreenedBodies(app), token)


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn itself does
    try:
        listener.bind((HOST, port))
        # Listening now queues the clients that read the URL before uvicorn starts accepting.
        listener.listen(socket.SOMAXCONN)
    except OSError as error:
        listener.close()
        raise UsageError(
            f"cannot listen on {HOST}:{port}: {error.strerror}; "
            "choose another --port (0 picks a free one)"
        ) from None
    return listener


class BearerToken:
    """Refuses every HTTP request that does not carry `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._token = token.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            presented = _bearer(scope["headers"])
            if presented is None or not hmac.compare_digest(presented, self._token):
                await _unauthorized(presented is not None)(scope, receive, send)
                return
        await self._app(scope, receive, send)


def _bearer(headers: Sequence[tuple[bytes, bytes]]) -> bytes | None:
    """The credentials of the first Authorization header when its scheme is Bearer."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credentials = value.strip().partition(b" ")
            return credentials.strip() if scheme.lower() == b"bearer" else None
    return None


def _unauthorized(presented: bool) -> Response:
    # RFC 6750: a request without credentials gets the bare challenge, a wrong token its error.
    challenge = 'Bearer realm="daprdev"' + (', error="invalid_token"' if presented else "")
    return JSONResponse(
        {
            "error": "invalid_token" if presented else "missing_token",
            "error_description": (
                "send 'Authorization: Bearer <token>' with the token `daprdev serve` printed "
                "and wrote to its token file when it started"
            ),
        },
        status_code=401,
        headers={"WWW-Authenticate": challenge},
    )


class ScreenedBodies:
    """Answers each JSON POST body the SDK cannot take with its JSON-RPC errors, as stdio does."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _screened(scope):
            await self._app(scope, receive, send)
            return
        body = await _body(scope, receive)
        if isinstance(body, Refusal):
            await _refused(body, status=413)(scope, receive, send)
            return
        verdict = screen(body)
        if isinstance(verdict, Refusal):
            await _refused(verdict, status=400)(scope, receive, send)
            return
        await self._app(scope, _replay(body, receive), send)


def _screened(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != ENDPOINT:
        return False
    content_type: bytes = dict(scope["headers"]).get(b"content-type", b"")
    # Other content types are the SDK's to refuse, as it does.
    return content_type.lower().startswith(b"application/json")


async def _body(scope: Scope, receive: Receive) -> bytes | Refusal:
    """The whole body, or the refusal of one over MAX_MESSAGE_BYTES (read no further)."""
    declared = dict(scope["headers"]).get(b"content-length", b"")
    if declared.isdigit() and int(declared) > MAX_MESSAGE_BYTES:
        return refuse_oversized(b"", b"")
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return bytes(body)
        body += message.get("body", b"")
        if len(body) > MAX_MESSAGE_BYTES:
            return refuse_oversized(bytes(body[:KEPT_BYTES]), b"")
        if not message.get("more_body", False):
            return bytes(body)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The request as the SDK's app would have received it, the body in one piece."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _refused(refusal: Refusal, *, status: int) -> Response:
    _log.warning("refused an HTTP message: %s", refusal.reason)
    # Over HTTP the answer is this POST's response, so even a broken response gets one.
    answers = refusal.answers or (
        JSONRPCError(
            jsonrpc="2.0", id=None, error=ErrorData(code=INVALID_REQUEST, message=refusal.reason)
        ),
    )
    shown = [
        answer.model_dump(mode="json", by_alias=True, exclude_unset=True) for answer in answers
    ]
    return Response(
        json.dumps(shown if refusal.batch else shown[0]),
        status_code=status,
        media_type="application/json",
    )
