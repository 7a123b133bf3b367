"""Raw HTTP requests to the sidecar, as the publish and jobs rules (DAPR019-027) see them.

A request is `<anything>.post(url, ...)` (also get, put, patch, delete) or `.request("POST", url,
...)` - requests, httpx and aiohttp share these shapes - with the URL's text as far as the file
shows it (module strings and the function's own assignments included). A publish request is a
POST/PUT whose URL contains `/v1.0/publish/` (or the alpha1 bulk route); a state write is a POST
to `/v1.0/state/<store>` (a save) or a DELETE of `/v1.0/state/<store>/<key>`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tools.validate.astutil import (
    FunctionNode,
    argument,
    assigned_once,
    keyword,
    own_nodes,
    single_assignments,
)
from tools.validate.context import FileContext
from tools.validate.rules._strings import HOLE, template

_PUBLISH_PATH = re.compile(r"/v1\.0(?:-alpha1)?/publish/")
# A save posts to the store itself; a path after it is a key (read or deleted), `bulk`, `query` or
# `transaction` - the latter three answer 200 with a body, or 204 for transactions.
_STATE_SAVE_PATH = re.compile(r"/v1\.0/state/[^/?]+/?(?:\?|$)")
_STATE_KEY_PATH = re.compile(r"/v1\.0/state/[^/?]+/[^/?]+")
_BODY_VERBS = frozenset({"POST", "PUT"})
_VERB_METHODS = frozenset({"get", "post", "put", "patch", "delete"})


@dataclass(frozen=True)
class HttpRequest:
    call: ast.Call
    verb: str
    url: str  # the URL's text, HOLE where it is only known at run time
    # What is sent: `json=` (sent as application/json), else `content=` / `data=`.
    json_body: ast.expr | None
    raw_body: ast.expr | None
    headers: ast.expr | None


_LOCALS = "_daprdev_locals"


class Locals:
    """The names a URL may be built from: the module's single assignments (f-strings and
    concatenations included, which are no constants), under each function's own; a function's
    parameters hide the module's names."""

    def __init__(self) -> None:
        self._module: dict[str, ast.expr] = {}
        self._cache: dict[int, dict[str, ast.expr]] = {}

    def add_module(self, module: ast.Module) -> None:
        # The tables depend on the tree alone: worked out once, kept on the module and shared by
        # every rule that asks (a dozen do), never changed by them.
        shared: tuple[dict[str, ast.expr], dict[int, dict[str, ast.expr]]] | None = getattr(
            module, _LOCALS, None
        )
        if shared is None:
            shared = (assigned_once(module), {})
            setattr(module, _LOCALS, shared)
        self._module, self._cache = shared

    def of(self, function: FunctionNode | None) -> dict[str, ast.expr]:
        if function is None:
            return self._module
        if id(function) not in self._cache:
            arguments = function.args
            parameters = {
                a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            }
            visible = {k: v for k, v in self._module.items() if k not in parameters}
            self._cache[id(function)] = {**visible, **single_assignments(function)}
        return self._cache[id(function)]


def http_request(
    ctx: FileContext, call: ast.Call, local: dict[str, ast.expr]
) -> HttpRequest | None:
    """The call as an HTTP request whose URL the file shows (at least in part), or None."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in _VERB_METHODS:
        verb, url = func.attr.upper(), argument(call, 0, "url")
    elif func.attr == "request":
        method = argument(call, 0, "method")
        if not (isinstance(method, ast.Constant) and isinstance(method.value, str)):
            return None
        verb, url = method.value.upper(), argument(call, 1, "url")
    else:
        return None
    text = template(url, ctx.constants, local)
    if text is None:
        return None
    raw = keyword(call, "content") or keyword(call, "data")
    return HttpRequest(call, verb, text, keyword(call, "json"), raw, keyword(call, "headers"))


def publish_request(
    ctx: FileContext, call: ast.Call, local: dict[str, ast.expr]
) -> HttpRequest | None:
    """The call as a POST/PUT to the sidecar's publish API, or None."""
    request = http_request(ctx, call, local)
    if request is None or request.verb not in _BODY_VERBS:
        return None
    return request if _PUBLISH_PATH.search(request.url) else None


def header_value(headers: ast.expr | None, name: str, ctx: FileContext) -> str | None:
    """Header `name` (any case): its text, None when surely absent, `HOLE` when unknown."""
    if headers is None:
        return None
    if not isinstance(headers, ast.Dict) or None in headers.keys:
        return HOLE  # built elsewhere, or unpacked into the literal
    for key, value in zip(headers.keys, headers.values, strict=True):
        if isinstance(key, ast.Constant) and str(key.value).lower() == name:
            text = template(value, ctx.constants)
            return HOLE if text is None else text
    return None


def state_write_request(
    ctx: FileContext, call: ast.Call, local: dict[str, ast.expr]
) -> HttpRequest | None:
    """The call as a state save (POST to the store) or a state delete (DELETE of a key), the
    two state calls the sidecar answers with 204 No Content; None otherwise."""
    request = http_request(ctx, call, local)
    if request is None:
        return None
    if request.verb == "POST" and _STATE_SAVE_PATH.search(request.url):
        return request
    if request.verb == "DELETE" and _STATE_KEY_PATH.search(request.url):
        return request
    return None


def state_read_request(
    ctx: FileContext, call: ast.Call, local: dict[str, ast.expr]
) -> HttpRequest | None:
    """The call as a read of one state key (GET of `/v1.0/state/<store>/<key>`): the sidecar
    answers 200 with the value, 204 when the key is absent, and an error status when the store
    or the sidecar fails; None otherwise."""
    request = http_request(ctx, call, local)
    if request is None or request.verb != "GET":
        return None
    return request if _STATE_KEY_PATH.search(request.url) else None


def response_names(function: FunctionNode, requests: set[int]) -> Iterator[str]:
    """Names bound to the response of one of `requests` (ids of their calls): `r = await
    post(...)`, `with ... as r`."""
    for node in own_nodes(function):
        if isinstance(node, ast.Assign) and is_request(node.value, requests):
            yield from (t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if is_request(item.context_expr, requests) and isinstance(
                    item.optional_vars, ast.Name
                ):
                    yield item.optional_vars.id


def is_request(node: ast.expr, requests: set[int]) -> bool:
    """`node` is one of `requests` (ids of their calls), awaited or not."""
    return id(node.value if isinstance(node, ast.Await) else node) in requests


def status_codes(node: ast.expr) -> set[object]:
    """The constants a status is compared with: `200`, or each of `(200, 204)`."""
    if isinstance(node, ast.Constant):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return {e.value for e in node.elts if isinstance(e, ast.Constant)}
    return set()
