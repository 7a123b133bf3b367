"""A scripted stand-in for the Anthropic Messages API, served over real HTTP on 127.0.0.1.

Both the `anthropic` SDK and the Claude Code CLI talk to it through `ANTHROPIC_BASE_URL`. Each
test gives a *script*: a function that looks at one request (tools offered, system prompt, the tool
results it carries) and returns the reply - text, tool calls, an HTTP error, or a hang. Replies are
sent as JSON or as server-sent events, whichever the request asked for. Every request is recorded.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MESSAGES_PATH = "/v1/messages"


@dataclass(frozen=True)
class ToolCall:
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """What the fake answers to one request."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    input_tokens: int = 100
    output_tokens: int = 20
    cache_read_input_tokens: int = 0
    stop_reason: str | None = None  # default: tool_use when there are tool calls, else end_turn
    error_status: int | None = None
    error_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    hang: threading.Event | None = None  # block until set (or the server closes), then answer
    stream_error: str = ""  # when streaming: start the message, then fail with this error type

    @staticmethod
    def say(text: str, **usage: int) -> Reply:
        return Reply(text=text, **usage)

    @staticmethod
    def call(name: str, arguments: dict[str, Any], *, text: str = "", **usage: int) -> Reply:
        return Reply(text=text, tool_calls=(ToolCall(name, arguments),), **usage)

    @staticmethod
    def fails_mid_stream(error_type: str) -> Reply:
        """HTTP 200 and a started message, then an `error` event (how overloads often arrive)."""
        return Reply(stream_error=error_type)

    @staticmethod
    def error(status: int, error_type: str, *, retry_after_ms: int = 1) -> Reply:
        return Reply(
            error_status=status,
            error_type=error_type,
            headers={"retry-after-ms": str(retry_after_ms)},
        )


@dataclass(frozen=True)
class MessagesRequest:
    """One recorded request, with accessors for what scripts usually look at."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def tool_names(self) -> list[str]:
        return [tool.get("name", "") for tool in self.body.get("tools") or []]

    @property
    def system_text(self) -> str:
        system = self.body.get("system") or ""
        if isinstance(system, str):
            return system
        return "\n".join(block.get("text", "") for block in system if isinstance(block, dict))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    def blocks(self, kind: str) -> list[dict[str, Any]]:
        """Every content block of `kind` in the conversation, oldest first."""
        found = []
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, list):
                found += [block for block in content if block.get("type") == kind]
        return found

    def tool_results(self) -> list[dict[str, Any]]:
        return self.blocks("tool_result")

    def tool_uses(self) -> list[dict[str, Any]]:
        return self.blocks("tool_use")

    def user_text(self) -> str:
        """All user-authored text of the conversation (strings and text blocks)."""
        return self.text_of("user")

    def text_of(self, *roles: str) -> str:
        """The text of the conversation's messages with these roles (all roles when none given)."""
        parts = []
        for message in self.messages:
            if roles and message.get("role") not in roles:
                continue
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts += [block.get("text", "") for block in content if block.get("type") == "text"]
        return "\n".join(parts)


Script = Callable[[MessagesRequest], Reply]


def in_order(*replies: Reply) -> Script:
    """A script answering the n-th request with the n-th reply (and a 500 past the end)."""
    queue = iter(replies)

    def script(_request: MessagesRequest) -> Reply:
        try:
            return next(queue)
        except StopIteration:
            return Reply.error(500, "api_error")

    return script


def result_text(block: dict[str, Any]) -> str:
    """The text of a tool_result block, whatever shape its content has."""
    content = block.get("content")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


class FakeMessagesApi:
    """The HTTP server; use `serve(script)`. `base_url` is what clients need."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[MessagesRequest] = []
        self.other_paths: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def message_requests(self) -> list[MessagesRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0] == MESSAGES_PATH]

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    # --- replies ------------------------------------------------------------------------------

    def _answer(self, request: MessagesRequest) -> tuple[int, dict[str, str], bytes]:
        reply = self.script(request)
        if reply.hang is not None:
            while not reply.hang.wait(0.05) and not self._closing.is_set():
                pass
        if reply.error_status is not None:
            body = {"type": "error", "error": {"type": reply.error_type, "message": "scripted"}}
            headers = {"content-type": "application/json", **reply.headers}
            return reply.error_status, headers, json.dumps(body).encode()
        message = self._message(request, reply)
        if request.body.get("stream"):
            events = _sse(message, failure=reply.stream_error)
            return 200, {"content-type": "text/event-stream"}, events
        return 200, {"content-type": "application/json"}, json.dumps(message).encode()

    def _message(self, request: MessagesRequest, reply: Reply) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        content += [
            {
                "type": "tool_use",
                "id": f"toolu_{next(self._ids):04d}",
                "name": call.name,
                "input": call.input,
            }
            for call in reply.tool_calls
        ]
        stop = reply.stop_reason or ("tool_use" if reply.tool_calls else "end_turn")
        return {
            "id": f"msg_{next(self._ids):04d}",
            "type": "message",
            "role": "assistant",
            "model": request.body.get("model", "fake"),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": reply.input_tokens,
                "cache_read_input_tokens": reply.cache_read_input_tokens,
                "output_tokens": reply.output_tokens,
            },
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

            def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                # A client that gave up (a cancelled run) needs no answer.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = self.path
                if path.split("?")[0] != MESSAGES_PATH:
                    with api._lock:
                        api.other_paths.append(path)
                    self._send(404, {"content-type": "application/json"}, b"{}")
                    return
                request = MessagesRequest(
                    path, dict(self.headers.items()), json.loads(raw or b"{}")
                )
                with api._lock:
                    api.requests.append(request)
                self._send(*api._answer(request))

            def do_GET(self) -> None:
                with api._lock:
                    api.other_paths.append(self.path)
                self._send(404, {"content-type": "application/json"}, b"{}")

            do_HEAD = do_GET

        return Handler


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def _sse(message: dict[str, Any], *, failure: str = "") -> bytes:
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    events = [_event("message_start", {"type": "message_start", "message": start})]
    if failure:
        error = {"type": "error", "error": {"type": failure, "message": "scripted"}}
        return "".join([*events, _event("error", error)]).encode()
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            opening = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            opening = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        events += [
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opening},
            ),
            _event(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            ),
            _event("content_block_stop", {"type": "content_block_stop", "index": index}),
        ]
    events += [
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        ),
        _event("message_stop", {"type": "message_stop"}),
    ]
    return "".join(events).encode()


@contextmanager
def serve(script: Script) -> Iterator[FakeMessagesApi]:
    """Run a fake Messages API for the duration of the block."""
    api = FakeMessagesApi(script)
    api.start()
    try:
        yield api
    finally:
        api.close()


__all__: Sequence[str] = (
    "FakeMessagesApi",
    "MessagesRequest",
    "Reply",
    "ToolCall",
    "in_order",
    "result_text",
    "serve",
)
