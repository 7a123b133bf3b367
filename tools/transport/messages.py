"""One incoming JSON-RPC message: the SDK's to handle, or refused with the errors that answer it.

The SDK drops a message it cannot validate without a word, so a client that sent a batch, a lone
surrogate, JSON nested deeper than the parser allows or an over-long integer waits forever for its
answer. `screen` validates with the SDK's own parser; only when that fails does it parse again,
with the standard library, to say what is wrong and to find the id to answer:

- a request whose id can be read gets -32600 (invalid request) carrying that id;
- a message whose id cannot be read gets -32700 (parse error) when it is not JSON, else -32600,
  both with id null;
- a batch gets a -32600 for each element that has an id, or one with id null when none has;
- a broken *response* is not answered: the answer could be taken for the reply to one of the
  peer's own requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mcp.types import (
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCMessage,
    JSONRPCNotification,
    JSONRPCRequest,
    JSONRPCResponse,
    RequestId,
    jsonrpc_message_adapter,
)
from pydantic import BaseModel, ValidationError

# Far above any change set the tools accept, far below what would strain the server's memory.
MAX_MESSAGE_BYTES: Final = 12 << 20
# The SDK's JSON parser refuses deeper nesting; named here so that a refusal can say so.
MAX_DEPTH: Final = 200
# Python will not convert longer integers (sys.int_info.default_max_str_digits), nor will the SDK.
MAX_INT_DIGITS: Final = 4300
# How much of the start and of the end of an oversized message is kept to find its id.
KEPT_BYTES: Final = 64 << 10

BATCH_REFUSED: Final = "batches are not supported; send each request as a message of its own"
TOO_LARGE: Final = (
    f"the message is larger than {MAX_MESSAGE_BYTES >> 20} MiB; send less in one call"
)
TOO_DEEP: Final = f"the JSON is nested more than {MAX_DEPTH} levels deep"
NOT_UTF8: Final = "a string holds a lone UTF-16 surrogate or bytes that are not UTF-8"
BAD_ID: Final = "the id must be a string or an integer"

_SPACE = re.compile(r"[ \t\n\r]*")
# An id as the last member of an object that ends the text: clients that put the id after the
# params (the TypeScript SDK does) still get an answer naming it when the params are what broke.
_TRAILING_ID = re.compile(
    r'[{,][ \t\n\r]*"id"[ \t\n\r]*:[ \t\n\r]*(-?\d+|"(?:[^"\\]|\\.)*")[ \t\n\r]*}[ \t\n\r]*$'
)
_UNREAD = object()  # a member whose key was read but whose value could not be


@dataclass(frozen=True)
class Refusal:
    """A message the SDK cannot take: why, and the errors that answer it (none for a response)."""

    reason: str
    answers: tuple[JSONRPCError, ...]
    batch: bool = False


class _Unsupported(Exception):
    """Valid JSON that the SDK's parser would refuse; the message says why."""


def screen(data: bytes) -> JSONRPCMessage | Refusal:
    """The message as the SDK will read it from `data`, or why it is refused and how to answer."""
    try:
        message = jsonrpc_message_adapter.validate_json(data, by_name=False)
    except ValidationError as refused:
        return _diagnose(data, refused)
    # The SDK reads a method with an id that is neither string nor integer as a notification,
    # which nobody answers. Only notifications can hide such an id, and they are small and rare.
    if isinstance(message, JSONRPCNotification) and b'"id"' in data and _has_id(data):
        return Refusal(BAD_ID, (_error(None, INVALID_REQUEST, BAD_ID),))
    return message


def refuse_oversized(head: bytes, tail: bytes) -> Refusal:
    """The refusal of a message over MAX_MESSAGE_BYTES, of which only its two ends were kept."""
    members = _envelope(head.decode("utf-8", "surrogateescape"), tail.decode("utf-8", "replace"))
    return _refusal(TOO_LARGE, members, parsed=False)


def _diagnose(data: bytes, refused: ValidationError) -> Refusal:
    # surrogateescape keeps bytes that are not UTF-8 visible, as lone surrogates inside strings.
    text = data.decode("utf-8", "surrogateescape")
    try:
        value = _DECODER.decode(text)
    except _Unsupported as problem:
        return _refusal(str(problem), _envelope(text, text), parsed=False)
    except RecursionError:
        return _refusal(TOO_DEEP, _envelope(text, text), parsed=False)
    except json.JSONDecodeError as broken:
        reason = f"not JSON: {broken.msg} at character {broken.pos}"
        return _refusal(reason, _envelope(text, text), parsed=False)
    if isinstance(value, list):
        return _batch(value)
    reason = _problem(value) or _schema_problem(value) or _first_error(refused)
    return _refusal(reason, value if isinstance(value, dict) else {}, parsed=True)


def _batch(elements: list[Any]) -> Refusal:
    ids = [_request_id(e) for e in elements if isinstance(e, dict) and not _is_response(e)]
    answers = tuple(_error(i, INVALID_REQUEST, BATCH_REFUSED) for i in ids if i is not None)
    return Refusal(
        BATCH_REFUSED, answers or (_error(None, INVALID_REQUEST, BATCH_REFUSED),), batch=True
    )


def _refusal(reason: str, members: Mapping[str, object], *, parsed: bool) -> Refusal:
    if _is_response(members):
        return Refusal(reason, ())
    request_id = _request_id(members)
    code = PARSE_ERROR if request_id is None and not parsed else INVALID_REQUEST
    return Refusal(reason, (_error(request_id, code, reason),))


def _is_response(members: Mapping[str, object]) -> bool:
    return "method" not in members and ("result" in members or "error" in members)


def _request_id(members: Mapping[str, object]) -> RequestId | None:
    """The id to answer with, when it is one JSON-RPC allows and it can be written back out."""
    value = members.get("id")
    if type(value) is int or (isinstance(value, str) and _is_utf8(value)):
        return value
    return None


def _error(request_id: RequestId | None, code: int, message: str) -> JSONRPCError:
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))


# -- the slow path: what exactly is wrong -------------------------------------------------------


def _bounded_int(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count > MAX_INT_DIGITS:
        raise _Unsupported(f"an integer of {count} digits; at most {MAX_INT_DIGITS} are accepted")
    return int(digits)


_DECODER = json.JSONDecoder(parse_int=_bounded_int)


def _problem(value: object) -> str | None:
    """The first thing in parsed JSON that the SDK's parser refuses: depth or a broken string."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if not _is_utf8(item):
                return NOT_UTF8
            continue
        if isinstance(item, dict):
            children: list[object] = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return TOO_DEEP
        pending.extend((child, depth + 1) for child in children)
    return None


def _schema_problem(value: object) -> str | None:
    """What keeps a parsed value from being a JSON-RPC message, in the terms of its likely kind."""
    if not isinstance(value, dict):
        return "not a JSON-RPC message: a JSON object is expected"
    if "id" in value and _request_id(value) is None and not _is_response(value):
        return BAD_ID
    kind: type[BaseModel]
    if "method" in value:
        kind = JSONRPCRequest if "id" in value else JSONRPCNotification
    elif "error" in value:
        kind = JSONRPCError
    elif "result" in value:
        kind = JSONRPCResponse
    else:
        return "not a JSON-RPC message: a request needs a method"
    try:
        kind.model_validate(value)
    except ValidationError as invalid:
        return _first_error(invalid, prefix=f"not a valid JSON-RPC {_KINDS[kind]}")
    return None


_KINDS: Final[dict[type[BaseModel], str]] = {
    JSONRPCRequest: "request",
    JSONRPCNotification: "notification",
    JSONRPCError: "error response",
    JSONRPCResponse: "response",
}


def _first_error(invalid: ValidationError, prefix: str = "refused by the MCP parser") -> str:
    shown = [
        f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
        for e in invalid.errors(include_url=False, include_input=False)[:3]
    ]
    return f"{prefix} ({'; '.join(shown)})"


def _envelope(head: str, tail: str) -> dict[str, object]:
    """The members of a top-level object that can be read although the whole cannot."""
    members = _leading_members(head)
    if "id" not in members and (found := _TRAILING_ID.search(tail[-KEPT_BYTES:])):
        members["id"] = json.loads(found.group(1))
    return members


def _leading_members(text: str) -> dict[str, object]:
    """The members read from the start of an object, up to the first that cannot be."""
    members: dict[str, object] = {}
    at = _skip_space(text, 0)
    if not text.startswith("{", at):
        return members
    at += 1
    while True:
        try:
            key, at = _DECODER.raw_decode(text, _skip_space(text, at))
        except (ValueError, RecursionError, _Unsupported):
            return members
        at = _skip_space(text, at)
        if not isinstance(key, str) or not text.startswith(":", at):
            return members
        try:
            value, at = _DECODER.raw_decode(text, _skip_space(text, at + 1))
        except (ValueError, RecursionError, _Unsupported):
            members[key] = _UNREAD
            return members
        members[key] = value
        at = _skip_space(text, at)
        if not text.startswith(",", at):
            return members
        at += 1


def _skip_space(text: str, at: int) -> int:
    spaces = _SPACE.match(text, at)
    return spaces.end() if spaces else at


def _has_id(data: bytes) -> bool:
    try:
        value = json.loads(data)
    except ValueError:
        return False
    return isinstance(value, dict) and "id" in value


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
