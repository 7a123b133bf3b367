"""What a delivery handler answers Dapr, read from its `return` and `raise` statements.

Dapr decides a message's fate from the HTTP answer: 2xx with `{"status": ...}` (SUCCESS, RETRY or
DROP; any other text is RETRY), 404 drops, any other status retries. The delivery rules share this
reading so that they agree on what an answer means.
"""

from __future__ import annotations

import ast
import re
from typing import Literal

from tools.validate.astutil import argument, keyword

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
_RESPONSES = frozenset(
    {"Response", "JSONResponse", "PlainTextResponse", "ORJSONResponse", "UJSONResponse"}
)
_STATUS_CONSTANT = re.compile(r"HTTP_(\d{3})")


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


def _status_of(value: ast.expr | None) -> Answer:
    """The answer a JSON body means under a 2xx: its `status`, SUCCESS when it has none."""
    if isinstance(value, ast.Dict):
        for key, item in zip(value.keys, value.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "status":
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    # daprd compares case-sensitively: "success" is an unknown status, so RETRY.
                    return {"SUCCESS": "success", "DROP": "drop"}.get(item.value, "retry")
                return "unknown"
        return "success"
    if value is None or isinstance(value, ast.Constant):
        return "success"
    return "unknown"


def is_http_error(statement: ast.Return | ast.Raise) -> bool:
    """`raise HTTPException(...)`: an answer chosen by the handler, not an escaping error."""
    exc = statement.exc if isinstance(statement, ast.Raise) else None
    return isinstance(exc, ast.Call) and last_name(exc.func) == "HTTPException"


def answer_of(statement: ast.Return | ast.Raise) -> Answer:
    """What Dapr makes of this `return` or `raise`."""
    if isinstance(statement, ast.Raise):
        exc = statement.exc
        if isinstance(exc, ast.Call) and last_name(exc.func) == "HTTPException":
            code = status_code(argument(exc, 0, "status_code"))
            return _by_code(code) if code is not None else "unknown"
        return "server-error" if exc is not None else "unknown"
    value = statement.value
    if isinstance(value, ast.Call) and last_name(value.func) in _RESPONSES:
        code = status_code(keyword(value, "status_code"))
        if code is None and len(value.args) > 1:
            code = status_code(value.args[1])
        if code is not None and not 200 <= code < 300:
            return _by_code(code)
        return _status_of(argument(value, 0, "content"))
    if isinstance(value, ast.Tuple):
        return "success"  # FastAPI serialises the tuple with 200: Dapr acknowledges
    return _status_of(value)


def answers(body: list[ast.stmt]) -> list[tuple[ast.Return | ast.Raise, Answer]]:
    """Every `return`/`raise` in `body` (not entering nested functions) with its answer."""
    found = []
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return | ast.Raise):
            found.append((node, answer_of(node)))
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda pair: (pair[0].lineno, pair[0].col_offset))
