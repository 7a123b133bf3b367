"""What a delivery handler answers Dapr, read from its `return` and `raise` statements.

Dapr decides a message's fate from the HTTP answer: 2xx with `{"status": ...}` (SUCCESS, RETRY or
DROP; any other text is RETRY), 404 drops, any other status retries. A job trigger or an input
binding event reads only the HTTP status: any 2xx is delivered, whatever the body says. The delivery
rules share this reading so that they agree on what an answer means.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Literal

from tools.validate.astutil import NEW_SCOPES, FunctionNode, argument, children, keyword
from tools.validate.context import FileContext

Answer = Literal["success", "retry", "drop", "client-error", "server-error", "unknown"]

# Exceptions raised by a message that can never succeed: its data does not decode or validate.
POISON_ERRORS = frozenset(
    {
        "ValidationError",
        "RequestValidationError",
        "ValueError",
        "KeyError",
        "TypeError",
        "JSONDecodeError",
        "DecodeError",
        "UnicodeDecodeError",
    }
)
BLANKET_ERRORS = frozenset({"Exception", "BaseException"})
# Exceptions of the clients a helper does its work with: catching one swallows the failure of
# the work (payload errors - ValueError, KeyError, ValidationError - are a message's own fault).
TRANSIENT_ERRORS = frozenset(
    {
        *BLANKET_ERRORS,
        "HTTPError",  # httpx, requests, urllib
        "HTTPStatusError",
        "RequestError",
        "TransportError",
        "TimeoutException",
        "ConnectError",
        "NetworkError",
        "RequestException",
        "ClientError",  # aiohttp
        "RpcError",  # grpc
        "AioRpcError",
        "DaprInternalError",  # dapr.clients.exceptions
        "DaprHttpError",
        "ConnectionError",
        "TimeoutError",
        "OSError",
    }
)
_RESPONSES = frozenset(
    {"Response", "JSONResponse", "PlainTextResponse", "ORJSONResponse", "UJSONResponse"}
)
# Responses that send a string content as it is, not encoded as a JSON string.
_RAW_RESPONSES = frozenset({"Response", "PlainTextResponse"})
_STATUS_CONSTANT = re.compile(r"HTTP_(\d{3})")
# daprd compares case-sensitively: "success" is an unknown status, so RETRY.
_STATUS_ANSWERS: dict[str, Answer] = {"SUCCESS": "success", "RETRY": "retry", "DROP": "drop"}


@dataclass(frozen=True)
class Reading:
    """How a handler's answer reaches daprd: which framework sends it, which delivery reads it."""

    # Flask sends a tuple's status code, a string as the body itself, and a 500 for None.
    flask: bool = False
    # Pub/sub reads the body's `status`; a job trigger or a binding event only the HTTP status.
    reads_status: bool = True
    # A dapr.ext.grpc.App callback: no HTTP at all (see `_grpc_answer`).
    grpc: bool = False


# A FastAPI (or any non-Flask) subscriber: what the rules assume when told nothing else.
FASTAPI_PUBSUB = Reading()


def reading(ctx: FileContext, handler: FunctionNode, *, reads_status: bool = True) -> Reading:
    grpc = ctx.grpc_delivery(handler)
    if grpc is not None:
        return Reading(reads_status=grpc == "pubsub", grpc=True)
    return Reading(flask=ctx.framework_of(handler) == "flask", reads_status=reads_status)


@dataclass(frozen=True)
class Reply:
    """A returned value taken apart: the HTTP status it sets (None: the default 200), its body."""

    code: int | None
    body: ast.expr | None
    # True when a string body is the response's text (parsed by daprd as JSON), not a JSON string.
    raw: bool


def last_name(node: ast.expr | None) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return getattr(node, "id", "")


def caught(handler: ast.ExceptHandler) -> set[str]:
    """The exception names an `except` clause catches; a bare `except` catches BaseException."""
    if handler.type is None:
        return {"BaseException"}
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {last_name(t) for t in types}


def is_blanket(handler: ast.ExceptHandler) -> bool:
    return bool(caught(handler) & BLANKET_ERRORS)


def catches_poison(handler: ast.ExceptHandler) -> bool:
    return bool(caught(handler) & POISON_ERRORS)


def status_code(node: ast.expr | None) -> int | None:
    """An HTTP status given as a number or as `status.HTTP_422_UNPROCESSABLE_ENTITY`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    match = _STATUS_CONSTANT.match(last_name(node)) if node is not None else None
    return int(match.group(1)) if match else None


def _by_code(code: int) -> Answer:
    if 200 <= code < 300:
        return "success"
    if code == 404:
        return "drop"
    return "client-error" if 400 <= code < 500 else "server-error"


def reply_of(value: ast.expr | None, *, flask: bool = False) -> Reply:
    """The status and body a `return value` sends."""
    if isinstance(value, ast.Call) and last_name(value.func) in _RESPONSES:
        code = status_code(keyword(value, "status_code"))
        if code is None and len(value.args) > 1:
            code = status_code(value.args[1])
        raw = last_name(value.func) in _RAW_RESPONSES
        return Reply(code, argument(value, 0, "content"), raw)
    if isinstance(value, ast.Tuple) and flask and value.elts:
        code = status_code(value.elts[1]) if len(value.elts) > 1 else None
        return Reply(code, value.elts[0], raw=True)
    return Reply(None, value, raw=flask)


def _unwrapped(body: ast.expr | None, raw: bool) -> tuple[ast.expr | None, bool]:
    """The value `jsonify(value)` or `json.dumps(value)` sends: a JSON object's own expression."""
    while isinstance(body, ast.Call) and last_name(body.func) in ("jsonify", "dumps") and body.args:
        body, raw = body.args[0], False
    return body, raw


def status_entry(body: ast.expr | None, *, raw: bool) -> ast.expr | str | None:
    """The `status` a body carries: its expression, its text when read from a JSON string, or
    None when the body has no status (or is no JSON object, which daprd does not read)."""
    body, raw = _unwrapped(body, raw)
    if isinstance(body, ast.Dict):
        for key, item in zip(body.keys, body.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "status":
                return item
        return None
    if raw and isinstance(body, ast.Constant) and isinstance(body.value, str):
        try:
            parsed = json.loads(body.value)
        except ValueError:
            return None
        status = parsed.get("status") if isinstance(parsed, dict) else None
        return status if isinstance(status, str) else None
    return None


def status_text(entry: ast.expr | str | None) -> str | None:
    """The literal text of a status entry, when it is one."""
    if isinstance(entry, ast.Constant) and isinstance(entry.value, str):
        return entry.value
    return entry if isinstance(entry, str) else None


def _status_answer(reply: Reply) -> Answer:
    """The answer a 2xx body means to pub/sub: its `status`, SUCCESS when it has none."""
    entry = status_entry(reply.body, raw=reply.raw)
    text = status_text(entry)
    if text is not None:
        return _STATUS_ANSWERS.get(text, "retry")
    if entry is not None:
        return "unknown"
    body, _ = _unwrapped(reply.body, reply.raw)
    readable = body is None or isinstance(body, ast.Constant | ast.Dict | ast.Tuple)
    return "success" if readable else "unknown"


def is_http_error(statement: ast.Return | ast.Raise) -> bool:
    """`raise HTTPException(...)`: an answer chosen by the handler, not an escaping error."""
    exc = statement.exc if isinstance(statement, ast.Raise) else None
    return isinstance(exc, ast.Call) and last_name(exc.func) == "HTTPException"


def returns_none(statement: ast.Return) -> bool:
    value = statement.value
    return value is None or (isinstance(value, ast.Constant) and value.value is None)


def answer_of(statement: ast.Return | ast.Raise, how: Reading = FASTAPI_PUBSUB) -> Answer:
    """What Dapr makes of this `return` or `raise`."""
    if how.grpc:
        return _grpc_answer(statement, how)
    if isinstance(statement, ast.Raise):
        exc = statement.exc
        if isinstance(exc, ast.Call) and last_name(exc.func) == "HTTPException":
            code = status_code(argument(exc, 0, "status_code"))
            return _by_code(code) if code is not None else "unknown"
        return "server-error" if exc is not None else "unknown"
    value = statement.value
    if how.flask and returns_none(statement):
        return "server-error"  # Flask refuses a view that returns None: HTTP 500
    reply = reply_of(value, flask=how.flask)
    if reply.code is not None and not 200 <= reply.code < 300:
        return _by_code(reply.code)
    return _status_answer(reply) if how.reads_status else "success"


def _grpc_answer(statement: ast.Return | ast.Raise, how: Reading) -> Answer:
    """What daprd makes of a dapr.ext.grpc.App callback's answer. The SDK's servicer sends a
    subscriber's `TopicEventResponse` status and an empty reply - SUCCESS - for any other value
    (None, a dict, a tuple), and ignores what a binding callback returns; an exception escaping
    the callback is a gRPC error, which daprd retries (HTTPException included: no HTTP here)."""
    if isinstance(statement, ast.Raise):
        return "server-error" if statement.exc is not None else "unknown"
    value = statement.value
    if (
        how.reads_status
        and isinstance(value, ast.Call)
        and last_name(value.func) == "TopicEventResponse"
    ):
        return _sdk_answer(argument(value, 0, "status"))
    return "success"


def _sdk_answer(status: ast.expr | None) -> Answer:
    """What a dapr.ext.grpc callback's `TopicEventResponse(status)` answers: the SDK looks the
    status up by its lowercased name (`'retry'`, `'DROP'`, `TopicEventResponseStatus.drop`)."""
    text = status_text(status) if isinstance(status, ast.Constant) else last_name(status)
    return _STATUS_ANSWERS.get(text.upper(), "unknown") if text else "unknown"


def answers(
    body: list[ast.stmt], how: Reading = FASTAPI_PUBSUB
) -> list[tuple[ast.Return | ast.Raise, Answer]]:
    """Every `return`/`raise` in `body` (not entering nested functions) with its answer."""
    found = []
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return | ast.Raise):
            found.append((node, answer_of(node, how)))
        if not isinstance(node, NEW_SCOPES):
            stack.extend(children(node))
    return sorted(found, key=lambda pair: (pair[0].lineno, pair[0].col_offset))
