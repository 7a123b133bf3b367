from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from tools.validate.astutil import FunctionNode, is_log_call, module_functions, own_nodes
from tools.validate.context import FileContext
from tools.validate.rules._answers import (
    BLANKET_ERRORS,
    Reading,
    answers,
    caught,
    last_name,
    reading,
    status_code,
)
from tools.validate.rules._payload import payload_parameters, validates_with_model
from tools.validate.rules.base import Invalid, Rule

_RAW_JSON = frozenset({"json.loads", "orjson.loads", "ujson.loads"})
# Methods of a FastAPI/Starlette `Request` and attributes of Flask's `request` that give the body.
_REQUEST_BODY = frozenset({"json", "body"})
_FLASK_BODY = frozenset(
    {"flask.request.json", "flask.request.get_json", "flask.request.data", "flask.request.get_data"}
)
# What a dapr.ext.grpc callback reads its payload with: `v1.Event.Data()` and
# `SubscriptionMessage.data()` for a message, `BindingRequest.text()` for a binding event.
_GRPC_BODY = frozenset({"Data", "data", "text"})
# Attributes daprd itself writes into the CloudEvent envelope it delivers: reading them from the
# delivered body cannot fail on what the publisher sent. The publisher's fields live under `data`.
_ENVELOPE = frozenset(
    {
        "data",
        "datacontenttype",
        "id",
        "pubsubname",
        "source",
        "specversion",
        "time",
        "topic",
        "traceid",
        "traceparent",
        "tracestate",
        "type",
    }
)
# A subscription with rawPayload=true gets the message as published, which daprd wraps in its own
# envelope with the bytes under `data_base64`: there it is always present.
_RAW_ENVELOPE = _ENVELOPE | {"data_base64"}
# What a missing key raises: a `try` catching one of these sees the malformed event.
_KEY_ERRORS = frozenset({"KeyError", "LookupError", "TypeError"}) | BLANKET_ERRORS
# Answers that make Dapr deliver the same event again.
_RETRIES = frozenset({"retry", "server-error", "client-error"})
# Expressions inside a log line or a returned value that only carry the payload into it (a field
# read only to be logged or echoed does no work with the event).
_PASSES_THROUGH = (
    ast.Await,
    ast.BinOp,  # 'got ' + text, 'got %s' % text
    ast.Subscript,
    ast.Dict,
    ast.FormattedValue,
    ast.JoinedStr,
    ast.List,
    ast.Set,
    ast.Starred,
    ast.Tuple,
)
# Calls that turn a value into text for a log line: the value is still only echoed.
_TO_TEXT = frozenset({"str", "repr", "json.dumps", "orjson.dumps"})

Origin = Literal["body", "field"]

# A dapr.ext.grpc subscriber: the App hands it the message's data, not daprd's envelope.
_GRPC = (
    "import json\n\n"
    "from cloudevents.sdk.event import v1\n"
    "from dapr.clients import DaprClient\n"
    "from dapr.clients.grpc._response import TopicEventResponse\n"
    "from dapr.ext.grpc import App\n\n"
    "app = App()\n"
    "dapr = DaprClient()\n\n"
    "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
    "def on_order(event: v1.Event) -> TopicEventResponse:\n"
    "    order = json.loads(event.Data())\n"
)


class UntypedPayload(Rule):
    id = "DAPR007"
    judges = frozenset({"pubsub", "binding", "job"})
    judges_payload_delegates = True
    name = "unvalidated-event-fields"
    message = (
        "the event's fields drive work without validating the event: a malformed or changed "
        "event fails the delivery, and Dapr delivers it again"
    )
    why = (
        "Events are a contract between services. A handler that reads `event['field']` from a "
        "plain dict raises KeyError as soon as a "
        "publisher renames or drops a field: the handler answers 500 and Dapr redelivers the same "
        "message again and again, blocking the topic, instead of rejecting it once."
    )
    fix = (
        "Validate the event's data with a Pydantic model (`Model.model_validate(...)` or "
        "`TypeAdapter(...).validate_python(...)`) and answer DROP on a ValidationError - or read "
        "optional fields with `.get(key, default)` and handle their absence."
    )
    VALID = (
        # A raw-payload subscription: daprd puts the message's bytes under data_base64, always.
        "import base64\n\nfrom fastapi import FastAPI, Request\n\napp = FastAPI()\n\n"
        "@app.get('/dapr/subscribe')\n"
        "def subscribe() -> list[dict]:\n"
        "    return [{'pubsubname': 'pubsub', 'topic': 'raw', 'route': '/raw',\n"
        "             'metadata': {'rawPayload': 'true'}}]\n\n"
        "@app.post('/raw')\n"
        "async def on_raw(request: Request, client=None) -> dict:\n"
        "    body = base64.b64decode((await request.json())['data_base64'])\n"
        "    await client.save_state('statestore', 'last', body)\n"
        "    return {'status': 'SUCCESS'}\n",
        # A gRPC subscriber dropping the event that lacks the field.
        _GRPC + "    try:\n"
        "        key = order['id']\n"
        "    except KeyError:\n"
        "        return TopicEventResponse('drop')\n"
        "    dapr.save_state('orders', key, json.dumps(order))\n"
        "    return TopicEventResponse('success')\n",
        # A field read with a default cannot fail on a message that lacks it.
        "from dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI, Request\n\n"
        "app = FastAPI()\ndapr_app = DaprApp(app)\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
        "async def on_order(request: Request, client=None) -> dict:\n"
        "    order = (await request.json()).get('data', {})\n"
        "    await client.save_state('statestore', order.get('id', 'unknown'), b'')\n"
        "    return {'status': 'SUCCESS'}\n",
        # Constructing the model validates the payload.
        "from fastapi import FastAPI\nfrom pydantic import BaseModel\n\n"
        "class Order(BaseModel):\n    id: str\n\napp = FastAPI()\n\n"
        "@app.post('/job/cleanup')\n"
        "async def cleanup(body: dict, client=None) -> dict:\n"
        "    order = Order(**body)\n"
        "    await client.delete_state('statestore', order.id)\n"
        "    return {}\n",
        # So does a TypeAdapter, here over raw JSON.
        "from fastapi import FastAPI, Request\nfrom pydantic import TypeAdapter\n\n"
        "app = FastAPI()\n\n"
        "@app.post('/job/cleanup')\n"
        "async def cleanup(request: Request) -> dict:\n"
        "    days = TypeAdapter(dict[str, int]).validate_json(await request.body())\n"
        "    return {'deleted': purge(days['days'])}\n",
        # Only logging and echoing the payload does no work with it.
        "import logging\nfrom typing import Any\nfrom dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI, Request\n\n"
        "logger = logging.getLogger(__name__)\napp = FastAPI()\ndapr_app = DaprApp(app)\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='audit')\n"
        "async def on_audit(event: dict[str, Any]) -> dict:\n"
        "    logger.info('audit event %s', event['data']['id'])\n"
        "    print(f'got {event}')\n"
        "    return {'status': 'SUCCESS', 'echo': event}\n",
        # A field checked for before it is read.
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n"
        "@app.post('/job/cleanup')\n"
        "async def cleanup(body: dict) -> dict:\n"
        "    if 'days' in body:\n"
        "        purge(body['days'])\n"
        "    return {}\n",
        # A missing field caught and answered with DROP: the event is not redelivered.
        "from dapr.ext.fastapi import DaprApp\nfrom fastapi import FastAPI\n\n"
        "app = FastAPI()\ndapr_app = DaprApp(app)\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
        "async def on_order(event: dict) -> dict:\n"
        "    try:\n"
        "        ship(event['data']['id'])\n"
        "    except KeyError:\n"
        "        return {'status': 'DROP'}\n"
        "    return {'status': 'SUCCESS'}\n",
        # Validated by a helper of the same file the handler hands the payload to.
        "from fastapi import FastAPI, Request\nfrom pydantic import BaseModel\n\n"
        "class Order(BaseModel):\n    id: str\n\n"
        "app = FastAPI()\n\n"
        "def parse_order(data: dict) -> Order:\n"
        "    return Order.model_validate(data)\n\n"
        "@app.post('/job/cleanup')\n"
        "async def cleanup(request: Request) -> dict:\n"
        "    order = parse_order(await request.json())\n"
        "    return {'id': order.id}\n",
        # A function handed a payload: judged only where a route Dapr delivers to awaits it with
        # the message's data before answering SUCCESS (the project's check).
        "from typing import Any\n\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "client = DaprClient()\n\n"
        "async def process_invoice(data: dict[str, Any]) -> None:\n"
        "    await client.save_state('statestore', data['invoice_id'], 'issued')\n",
    )
    INVALID = (
        # In a gRPC subscriber too: the KeyError escapes, and that App's error answer is RETRY.
        Invalid(
            _GRPC + "    dapr.save_state('orders', order['id'], json.dumps(order))\n"
            "    return TopicEventResponse('success')\n",
            line=14,
            col=31,
        ),
        # A guard answering RETRY anticipates nothing.
        Invalid(
            _GRPC + "    try:\n"
            "        key = order['id']\n"
            "    except KeyError:\n"
            "        return TopicEventResponse('retry')\n"
            "    dapr.save_state('orders', key, json.dumps(order))\n"
            "    return TopicEventResponse('success')\n",
            line=15,
            col=15,
        ),
        Invalid(
            (
                "from typing import Any\n"
                "from dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI\n\n"
                "app = FastAPI()\n"
                "dapr_app = DaprApp(app)\n\n"
                "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
                "async def on_order(event: dict[str, Any], client=None) -> dict:\n"
                "    order = event['data']\n"
                "    await client.save_state('statestore', order['id'], b'')\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=11,
            col=43,
        ),
        Invalid(
            (
                "import json\n"
                "from fastapi import FastAPI, Request\n\n"
                "app = FastAPI()\n\n"
                "@app.post('/job/cleanup')\n"
                "async def cleanup(request: Request) -> dict:\n"
                "    data = json.loads(await request.body())\n"
                "    days = data['days']\n"
                "    purge(days)\n"
                "    return {}\n"
            ),
            line=9,
            col=12,
        ),
        Invalid(
            (
                "from flask import Flask, jsonify, request\n\n"
                "app = Flask(__name__)\n\n"
                "@app.route('/dapr/subscribe', methods=['GET'])\n"
                "def subscribe():\n"
                "    return jsonify([{'pubsubname': 'ps', 'topic': 'o', 'route': 'orders'}])\n\n"
                "@app.route('/orders', methods=['POST'])\n"
                "def on_order():\n"
                "    order = request.json['data']\n"
                "    ship(order['id'])\n"
                "    return jsonify({'status': 'SUCCESS'})\n"
            ),
            line=12,
            col=10,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        # The file's functions and methods by name: a handler may validate through one of them.
        helpers = {function.name: function for _, function in module_functions(module)}
        jobs = [f for f, _ in self.ctx.job_handlers()]
        bindings = self.ctx.grpc_bindings()
        judged = [*self.ctx.judged_handlers(), *self.ctx.payload_delegates, *jobs, *bindings]
        for handler in dict.fromkeys(judged):
            if validates_with_model(self.ctx, handler, helpers):
                continue
            # A job trigger's body is the job's own data; a message comes in daprd's envelope,
            # which the dapr.ext.grpc App takes apart: its callbacks get the data alone.
            enveloped = all(handler is not job for job in jobs) and (
                self.ctx.grpc_delivery(handler) is None
            )
            flow = _Flow(self.ctx, handler, enveloped)
            read = min(flow.fragile_reads(), key=_position, default=None)
            if read is not None:
                self.report(read, _describe(read), within=handler)


@dataclass
class _Flow:
    """Where one handler's event payload goes: which names hold it and which reads can fail."""

    ctx: FileContext
    handler: FunctionNode
    enveloped: bool
    origins: dict[str, Origin] = field(default_factory=dict)
    requests: set[str] = field(default_factory=set)
    # The event or binding request a dapr.ext.grpc.App callback is handed (its first parameter).
    grpc_events: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for parameter, kind in payload_parameters(self.ctx, self.handler):
            if kind == "untyped":
                self.origins[parameter.arg] = "body"
        arguments = self.handler.args
        positional = arguments.posonlyargs + arguments.args
        if self.ctx.grpc_delivery(self.handler) is not None and positional:
            self.grpc_events = {positional[0].arg}
        self.requests = {
            a.arg
            for a in arguments.args + arguments.kwonlyargs
            if a.annotation is not None and last_name(a.annotation) == "Request"
        }
        # Statements come in source order, so a name is known before a later one is bound from it.
        for node in own_nodes(self.handler):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                origin = self.origin(node.value)
                if isinstance(target, ast.Name) and origin is not None:
                    self.origins[target.id] = origin

    def origin(self, node: ast.expr) -> Origin | None:
        """`body` for the delivered body itself, `field` for a value read out of it, else None."""
        if isinstance(node, ast.Await):
            return self.origin(node.value)
        if isinstance(node, ast.Name):
            return self.origins.get(node.id)
        if isinstance(node, ast.IfExp):
            return self.origin(node.body) or self.origin(node.orelse)
        if isinstance(node, ast.BoolOp):
            return self.origin(node.values[0])
        if isinstance(node, ast.Subscript):
            return "field" if self.origin(node.value) else None
        if self.ctx.qualname(node) in _FLASK_BODY:
            return "body"
        if _owner_name(node) in self.grpc_events and last_name(node) == "data":
            return "body"  # a BindingRequest's `data` bytes
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if self.ctx.qualname(func) in _RAW_JSON:
            return self.origin(node.args[0]) if node.args else None
        if self.ctx.qualname(func) in _FLASK_BODY or self._reads_request(func):
            return "body"
        if _owner_name(func) in self.grpc_events and last_name(func) in _GRPC_BODY:
            return "body"
        if isinstance(func, ast.Attribute) and func.attr == "get" and self.origin(func.value):
            return "field"
        return None

    def _reads_request(self, func: ast.expr) -> bool:
        return (
            isinstance(func, ast.Attribute)
            and func.attr in _REQUEST_BODY
            and isinstance(func.value, ast.Name)
            and func.value.id in self.requests
        )

    def fragile_reads(self) -> Iterator[ast.Subscript]:
        """Reads of the payload that raise on an event without the field and feed real work."""
        guarded = self._guarded()
        echoed = _echoed(self.ctx, self.handler)
        bound = _bound_names(self.ctx, self.handler)
        for node in own_nodes(self.handler):
            if not isinstance(node, ast.Subscript) or not self._can_fail(node):
                continue
            if id(node) in guarded or id(node) in echoed:
                continue
            name = bound.get(id(node))
            if name is not None and _only_echoed(self.handler, name, echoed):
                continue
            yield node

    def _can_fail(self, node: ast.Subscript) -> bool:
        if not isinstance(node.ctx, ast.Load):
            return False
        origin = self.origin(node.value)
        if origin is None:
            return False
        key = node.slice
        fields = _RAW_ENVELOPE if self.ctx.raw_payloads else _ENVELOPE
        envelope = isinstance(key, ast.Constant) and key.value in fields
        return not (self.enveloped and origin == "body" and envelope)

    def _guarded(self) -> set[int]:
        """Ids of the nodes whose missing key the handler anticipates: those under a `try` that
        catches KeyError and does not answer with a retry, and reads of a container the handler
        tests with `in` first."""
        guarded: set[int] = set()
        tested: set[str] = set()
        how = reading(self.ctx, self.handler)
        for node in own_nodes(self.handler):
            if isinstance(node, ast.Try | ast.TryStar) and any(
                caught(h) & _KEY_ERRORS and not _retries(h, how) for h in node.handlers
            ):
                guarded.update(
                    id(inner) for statement in node.body for inner in ast.walk(statement)
                )
            elif isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In | ast.NotIn):
                tested.add(ast.dump(node.comparators[0]))
        if tested:
            guarded.update(
                id(node)
                for node in own_nodes(self.handler)
                if isinstance(node, ast.Subscript) and ast.dump(node.value) in tested
            )
        return guarded


def _retries(handler: ast.ExceptHandler, how: Reading) -> bool:
    """True when the `except` clause answers so that Dapr delivers the event again."""
    # A Flask tuple's status is read below; a dapr.ext.grpc callback answers as that App sends.
    for statement, answer in answers(handler.body, Reading(grpc=how.grpc)):
        if isinstance(statement, ast.Raise):
            if statement.exc is None or answer in _RETRIES:
                return True  # re-raised, or raised as an error: HTTP 500
            continue
        value = statement.value if isinstance(statement, ast.Return) else None
        if how.flask and isinstance(value, ast.Tuple) and len(value.elts) > 1:
            code = status_code(value.elts[1])
            if code is not None and not 200 <= code < 300 and code != 404:
                return True
        elif answer in _RETRIES:
            return True
    return False


def _bound_names(ctx: FileContext, handler: FunctionNode) -> dict[int, str]:
    """Ids of the values a handler binds to a name (`x = read`, `x = json.loads(read)`)."""
    bound: dict[int, str] = {}
    for node in own_nodes(handler):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            continue
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        bound[id(value)] = node.targets[0].id
        if isinstance(value, ast.Call) and ctx.qualname(value.func) in _RAW_JSON and value.args:
            bound[id(value.args[0])] = node.targets[0].id
    return bound


def _echoed(ctx: FileContext, handler: FunctionNode) -> set[int]:
    """Ids of every node inside what `handler` only logs or echoes: the arguments of
    `print(...)`/`logger.info(...)` and the like, and the returned value, also inside containers,
    f-strings and `str(...)`/`json.dumps(...)`. Such a value does no work with the event."""
    echoed: set[int] = set()
    pending: list[ast.AST] = []
    for node in own_nodes(handler):
        if isinstance(node, ast.Return) and node.value is not None:
            pending.append(node.value)
        elif isinstance(node, ast.Call) and is_log_call(node):
            pending.extend([*node.args, *(kw.value for kw in node.keywords)])
    while pending:
        node = pending.pop()
        echoed.add(id(node))
        if isinstance(node, _PASSES_THROUGH):
            pending.extend(ast.iter_child_nodes(node))
        elif isinstance(node, ast.Call) and (_to_text(ctx, node) or _is_get(node)):
            pending.extend([node.func, *node.args])
        elif isinstance(node, ast.Attribute):
            pending.append(node.value)
    return echoed


def _to_text(ctx: FileContext, call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "format":
        return isinstance(func.value, ast.Constant)  # 'got {}'.format(text)
    name = ctx.qualname(func) or (func.id if isinstance(func, ast.Name) else None)
    return name in _TO_TEXT


def _is_get(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == "get"


def _only_echoed(handler: FunctionNode, name: str, echoed: set[int]) -> bool:
    """True when every read of `name` in `handler` is one that only logs or echoes it."""
    return all(
        id(node) in echoed
        for node in own_nodes(handler)
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)
    )


def _position(node: ast.Subscript) -> tuple[int, int]:
    return node.lineno, node.col_offset


def _owner_name(node: ast.expr) -> str | None:
    """`event` for `event.data` and `event.Data`."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id
    return None


def _describe(read: ast.Subscript) -> str:
    return (
        f"`{ast.unparse(read)}` is read from an event nothing validated: an event without "
        "that field raises KeyError, the delivery fails and Dapr delivers it again"
    )
