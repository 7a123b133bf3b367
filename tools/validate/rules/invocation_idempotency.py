"""DAPR050: another app invoked from a delivery with nothing the callee could deduplicate on.

A delivery (a pub/sub message, a job trigger, an input binding event) is at least once: Dapr
delivers it again after a crash, a timeout or a failure answer, and the handler runs again from
the top. A service invocation it makes is then made again, and the callee cannot tell the repeat
from a new request unless the request carries something stable to claim: an idempotency header,
or the event id or business key in the body or the method's path.

A helper of another module that a delivery handler calls is judged with the project (the
handler's file records the call, the helper's file the invocation). An invocation is the SDK's
`invoke_method`, or an HTTP request to the sidecar's
`/v1.0/invoke/<app>/method/...` route or carrying the `dapr-app-id` header. Only POST is judged
(the SDK's default verb): GET, PUT and DELETE are idempotent by HTTP's own definition, and a PATCH
usually sets values. The rule reports only what it can read whole: a body or headers built
elsewhere, spread into a literal or sent as a model (which carries its own id) keep it quiet.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from tools.validate.astutil import FunctionNode, argument, keyword, module_functions, own_nodes
from tools.validate.context import FileContext
from tools.validate.rules._http import Locals, http_request
from tools.validate.rules._reach import call_graph, decorator_target, per_message
from tools.validate.rules.base import Invalid, Rule
from tools.validate.rules.cloudevent_content_type import MODEL_DUMPS

_INVOKE_PATH = "/v1.0/invoke/"
# Header names a callee can claim: an idempotency key, or the id of the message behind the call.
_KEY_HEADER = re.compile(r"idempot|dedup|(?:request|message|event|correlation|operation)-?id", re.I)
# Whose ids name the party or container a call is for, not the call's own effect.
_OWNERS = frozenset(
    {
        *("user", "customer", "tenant", "account", "owner", "project", "org", "organization"),
        *("team", "client", "member", "author", "sender", "recipient", "group", "workspace"),
        *("app", "api", "secret", "access"),
    }
)
# Depth of names resolved through their one assignment: stops a name defined through itself.
_MAX_DEPTH = 4

_HEAD = (
    "import json\n\n"
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI, Request\n"
    "from pydantic import BaseModel, ValidationError\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n"
    "    cents: int\n\n"
    "class Charge(BaseModel):\n"
    "    cents: int\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(request: Request) -> dict:\n"
    "    event = await request.json()\n"
    "    try:\n"
    "        order = Order.model_validate(event.get('data'))\n"
    "    except ValidationError:\n"
    "        return {'status': 'DROP'}\n"
    "    dapr = request.app.state.dapr\n"
)
_SUCCESS = "    return {'status': 'SUCCESS'}\n"
_JOB = (
    "import os\n\n"
    "import httpx\n"
    "from fastapi import FastAPI\n\n"
    "app = FastAPI()\n"
    "http = httpx.AsyncClient(timeout=10)\n"
    "SIDECAR = f\"http://localhost:{os.environ['DAPR_HTTP_PORT']}\"\n\n"
    "async def bill(customer: str, cents: int) -> None:\n"
    "    url = f'{SIDECAR}/v1.0/invoke/billing/method/charges'\n"
)
_JOB_TAIL = (
    "    response.raise_for_status()\n\n"
    "@app.post('/job/monthly-fee-{customer}')\n"
    "async def monthly_fee(customer: str) -> dict:\n"
    "    await bill(customer, 500)\n"
    "    return {}\n"
)


class InvocationWithoutIdempotencyKey(Rule):
    id = "DAPR050"
    name = "invocation-without-idempotency-key"
    judges = frozenset({"pubsub", "binding", "job"})
    message = (
        "another app is invoked from a delivery with no idempotency key: a redelivery calls it "
        "again and the callee cannot tell"
    )
    why = (
        "Dapr delivers messages, job triggers and binding events at least once: after a crash, a "
        "timeout or a failure answer, the handler runs again from the top and makes its "
        "invocations again. A call that creates something (a charge, a task, an email) then "
        "happens twice, and daprd's own resiliency retries of the call repeat it as well. The "
        "callee can only do the work once if the request carries something stable to claim, the "
        "same on every repeat: an idempotency key, or the id of the message or entity behind it."
    )
    fix = (
        "Send a key derived from the delivery, the same on every redelivery: an `Idempotency-Key` "
        "header (`metadata=(('idempotency-key', event_id),)` for `invoke_method`, `headers=` for "
        "an HTTP request) or the event id or business key in the body, and have the callee claim "
        "it (a first-write save of the key) before doing the work."
    )
    VALID = (
        # The message's id travels as a header the callee claims.
        _HEAD + "    await dapr.invoke_method(\n"
        "        'billing', 'charges', Charge(cents=order.cents).model_dump_json(),\n"
        "        http_verb='POST', metadata=(('idempotency-key', event['id']),),\n"
        "    )\n" + _SUCCESS,
        # The business key is in the body: one charge per order.
        _HEAD + "    await dapr.invoke_method(\n"
        "        'billing', 'charges', json.dumps({'order_id': order.id, 'cents': order.cents}),\n"
        "        http_verb='POST',\n"
        "    )\n" + _SUCCESS,
        # The business key sits in a nested part of the body.
        _HEAD + "    await dapr.invoke_method(\n"
        "        'billing', 'charges',\n"
        "        json.dumps({'cents': order.cents, 'source': {'order_id': order.id}}),\n"
        "        http_verb='POST',\n"
        "    )\n" + _SUCCESS,
        # The order itself is sent, its id with it.
        _HEAD
        + "    await dapr.invoke_method('billing', 'charges', order.model_dump_json())\n"
        + _SUCCESS,
        # The path names the order: the callee charges each order once.
        _HEAD
        + "    await dapr.invoke_method('billing', f'orders/{order.id}/charge', '')\n"
        + _SUCCESS,
        # A read: repeating it changes nothing.
        _HEAD
        + "    await dapr.invoke_method('customers', 'profile', '', http_verb='GET')\n"
        + _SUCCESS,
        _JOB + "    response = await http.post(\n"
        "        url, json={'customer': customer, 'cents': cents},\n"
        "        headers={'Idempotency-Key': f'monthly-fee-{customer}'},\n"
        "    )\n" + _JOB_TAIL,
        # A plain HTTP route is not redelivered: its own caller decides whether to retry.
        "import httpx\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.get('/quote')\n"
        "async def quote(cents: int) -> dict:\n"
        "    async with httpx.AsyncClient(timeout=10) as client:\n"
        "        url = 'http://localhost:3500/v1.0/invoke/billing/method/quotes'\n"
        "        response = await client.post(url, json={'cents': cents})\n"
        "    return response.json()\n",
    )
    INVALID = (
        Invalid(
            _HEAD + "    await dapr.invoke_method(\n"
            "        'billing', 'charges', Charge(cents=order.cents).model_dump_json(),\n"
            "        http_verb='POST',\n"
            "    )\n" + _SUCCESS,
            line=25,
            col=11,
        ),
        # Reached through a helper of the job trigger; the body names the customer, not the fee.
        Invalid(
            _JOB + "    body = {'customer': customer, 'cents': cents}\n"
            "    response = await http.post(url, json=body)\n" + _JOB_TAIL,
            line=13,
            col=22,
        ),
        # The `dapr-app-id` header makes any request to the sidecar an invocation.
        Invalid(
            "import httpx\n"
            + _HEAD.replace(
                "app = FastAPI()\n", "app = FastAPI()\nhttp = httpx.AsyncClient(timeout=10)\n"
            )
            + "    await http.post(\n"
            "        'http://localhost:3500/charges',\n"
            "        content=json.dumps({'cents': order.cents}),\n"
            "        headers={'dapr-app-id': 'billing'},\n"
            "    )\n" + _SUCCESS,
            line=27,
            col=11,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        reached = per_message(self.ctx, module)
        locals_ = Locals()
        locals_.add_module(module)
        for owner, function in module_functions(module):
            if id(function) in reached or _invoked_by_other_apps(function):
                continue
            # No delivery of this file reaches it: another module's handler may call it.
            local = locals_.of(function)
            key = f"{owner.name}.{function.name}" if owner else function.name
            for node in own_nodes(function):
                if isinstance(node, ast.Call) and self._unkeyed(node, function, local):
                    site = self.ctx.diagnostic(self, node, within=function)
                    if site is not None:
                        self.ctx.unreached_sites.append((key, site))
        for function in call_graph(module).all():
            found = reached.get(id(function))
            if found is None or _invoked_by_other_apps(found.entry):
                continue
            local = locals_.of(function)
            for node in own_nodes(function):
                if isinstance(node, ast.Call) and self._unkeyed(node, function, local):
                    message = (
                        None
                        if found.entry is function
                        else f"{self.message}; the call is in {found.how}"
                    )
                    self.report(node, message, within=function, deferred_to=found.entry)

    def _unkeyed(self, call: ast.Call, function: FunctionNode, local: dict[str, ast.expr]) -> bool:
        """A POST invocation whose path, headers and body the file shows, none carrying a key."""
        read = _Reader(self.ctx, function, local)
        if _service_invocation(call):
            verb = keyword(call, "http_verb")
            if verb is not None and not (
                isinstance(verb, ast.Constant) and str(verb.value).upper() == "POST"
            ):
                return False
            parts = (
                read.path(argument(call, 1, "method_name"), after=""),
                read.metadata(keyword(call, "metadata")),
                read.body(argument(call, 2, "data")),
            )
            return all(part is False for part in parts)
        request = http_request(self.ctx, call, local)
        if request is None or request.verb != "POST":
            return False
        by_header = read.names_app(request.headers)
        if _INVOKE_PATH not in request.url and not by_header:
            return False
        url = argument(call, 0, "url")
        parts = (
            read.path(url, after="/method/" if _INVOKE_PATH in request.url else "/"),
            read.headers(request.headers),
            read.body(request.json_body or request.raw_body),
        )
        return all(part is False for part in parts)


def _service_invocation(call: ast.Call) -> bool:
    """`DaprClient.invoke_method(app_id, method_name, data, ...)`; an actor proxy's
    `invoke_method(method, raw_body)` calls an actor, not a method of another app."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "invoke_method"):
        return False
    if keyword(call, "raw_body") is not None:
        return False
    named = {kw.arg for kw in call.keywords} & {"app_id", "method_name", "data"}
    return len(call.args) + len(named) >= 3


def _invoked_by_other_apps(entry: FunctionNode) -> bool:
    """A dapr.ext.grpc `@app.method` callback: another app's call, which its caller retries."""
    return any(
        isinstance(target := decorator_target(d), ast.Attribute) and target.attr == "method"
        for d in entry.decorator_list
    )


def _is_key_name(name: str) -> bool:
    """A field or variable named like an identifier the callee could claim (`order_id`, `id`,
    `eventId`, `idempotency_key`). The id of the party or container the call is for (`user_id`,
    `project_id`) is no such key: one user has many emails sent, one project many tasks."""
    lower = name.lower()
    if "idempot" in lower or "dedup" in lower or lower == "id":
        return True
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())
    return len(words) > 1 and words[-1] in ("id", "key") and words[-2] not in _OWNERS


class _Reader:
    """What one request's parts carry: True a key, False surely none, None not known here."""

    def __init__(
        self, ctx: FileContext, function: FunctionNode, local: dict[str, ast.expr]
    ) -> None:
        self._ctx = ctx
        self._function = function
        self._local = local

    def _resolve(self, node: ast.expr | None, depth: int = 0) -> ast.expr | None:
        while isinstance(node, ast.Name) and node.id in self._local and depth < _MAX_DEPTH:
            node, depth = self._local[node.id], depth + 1
        return node

    def path(self, node: ast.expr | None, *, after: str) -> bool | None:
        """The method's path names an entity (`orders/{order_id}/capture`): a key in itself.
        `after`: the text after which the path starts (the host and app id come before)."""
        node = self._resolve(node)
        if node is None or isinstance(node, ast.Constant):
            return False
        if not isinstance(node, ast.JoinedStr):  # `'orders/{}'.format(order_id)`, concatenations
            return _holds_key(node)
        started = not after
        for value in node.values:
            if isinstance(value, ast.Constant):
                started = started or after in str(value.value)
            elif started and _holds_key(value):
                return True
        return False

    def names_app(self, headers: ast.expr | None) -> bool:
        node = self._resolve(headers)
        return isinstance(node, ast.Dict) and any(
            isinstance(key, ast.Constant) and str(key.value).lower() == "dapr-app-id"
            for key in node.keys
        )

    def headers(self, node: ast.expr | None) -> bool | None:
        name = node.id if isinstance(node, ast.Name) else None
        node = self._resolve(node)
        if node is None:
            return False
        if not isinstance(node, ast.Dict):
            return None
        found = _keys(node, _is_key_header)
        return found if found is not False or name is None else self._filled(name, _is_key_header)

    def metadata(self, node: ast.expr | None) -> bool | None:
        """`invoke_method(metadata=(('idempotency-key', key), ...))`: sent as headers."""
        node = self._resolve(node)
        if node is None:
            return False
        if isinstance(node, ast.Dict):
            return self.headers(node)
        if not isinstance(node, ast.Tuple | ast.List):
            return None
        for pair in node.elts:
            if not (
                isinstance(pair, ast.Tuple | ast.List)
                and pair.elts
                and isinstance(pair.elts[0], ast.Constant)
            ):
                return None
            if _KEY_HEADER.search(str(pair.elts[0].value)):
                return True
        return False

    def body(self, node: ast.expr | None, depth: int = 0) -> bool | None:
        name = node.id if isinstance(node, ast.Name) else None
        node = self._resolve(node)
        if node is None or (isinstance(node, ast.Constant) and not node.value):
            return False  # nothing is sent
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Dict):
            found = _keys(node, _is_key_name)
            return found if found is not False or name is None else self._filled(name, _is_key_name)
        if isinstance(node, ast.Call):
            if self._ctx.qualname(node.func) == "json.dumps" and node.args:
                return self.body(node.args[0], depth + 1)
            if isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
                return _keyword_fields(node)
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in MODEL_DUMPS
                and isinstance(model := node.func.value, ast.Call)
                and isinstance(model.func, ast.Name)
                and model.func.id[:1].isupper()
                and not model.args
            ):
                # `Charge(cents=...).model_dump_json()`: the fields are the keywords given.
                return _keyword_fields(model)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "encode":
                return self.body(node.func.value, depth + 1)
        if isinstance(node, ast.JoinedStr):
            return True if any(_holds_key(v) for v in node.values) else None
        return None  # a model, an attribute, a parameter: what it holds is not known here

    def _filled(self, name: str, is_key: Callable[[str], bool]) -> bool | None:
        """A dict the function fills after building it (`body['order_id'] = ...`)."""
        found: bool | None = False
        for node in own_nodes(self._function):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == name
            ):
                field = node.slice
                if not (isinstance(field, ast.Constant) and isinstance(field.value, str)):
                    return None
                if is_key(field.value):
                    return True
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("update", "setdefault")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
            ):
                found = None
        return found


def _keyword_fields(call: ast.Call) -> bool | None:
    """`dict(a=..., b=...)`, `Model(a=...)`: a key among the keywords; unknown with `**spread`."""
    names = [kw.arg for kw in call.keywords]
    return None if None in names else any(_is_key_name(str(name)) for name in names)


def _keys(display: ast.Dict, is_key: Callable[[str], bool]) -> bool | None:
    """A dict display: a key among its fields (a nested display's included), none, or unknown
    (`**spread`, computed keys)."""
    unknown = False
    for key, value in zip(display.keys, display.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            unknown = True
        elif is_key(key.value):
            return True
        if isinstance(value, ast.Dict):
            inner = _keys(value, is_key)
            if inner:
                return True
    return None if unknown else False


def _is_key_header(name: str) -> bool:
    return _KEY_HEADER.search(name) is not None


def _holds_key(value: ast.expr) -> bool:
    """A formatted value naming an identifier: `{order_id}`, `{order.id}`, `{event['id']}`."""
    node = value.value if isinstance(value, ast.FormattedValue) else value
    for part in ast.walk(node):
        if isinstance(part, ast.Name) and _is_key_name(part.id):
            return True
        if isinstance(part, ast.Attribute) and _is_key_name(part.attr):
            return True
        if (
            isinstance(part, ast.Constant)
            and isinstance(part.value, str)
            and _is_key_name(part.value)
        ):
            return True
    return False
