from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, argument, own_nodes
from tools.validate.context import FileContext
from tools.validate.rules._payload import payload_parameters, validates_with_model
from tools.validate.rules.base import Invalid, Rule

_RAW_JSON = frozenset({"json.loads", "orjson.loads", "ujson.loads"})
_PUBLISH = frozenset({"publish_event", "publish_events"})
# Expressions that carry a value along without reading into it.
_PASSES_THROUGH = (
    ast.Await,
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
# Methods of `logging` and of any logger: what is only logged is never read field by field.
_LOG_METHODS = frozenset(
    {"critical", "debug", "error", "exception", "info", "log", "warn", "warning"}
)


class UntypedPayload(Rule):
    id = "DAPR007"
    judges = frozenset({"pubsub", "job"})
    name = "untyped-event-payload"
    message = "event payloads must be Pydantic models, not dict/Any/raw JSON"
    why = (
        "Events are a contract between services. A `dict` or `Any` payload accepts anything, so a "
        "renamed field becomes a KeyError deep in the handler (a 500, then endless redelivery) "
        "instead of a clear validation failure; on the publishing side nothing checks what is sent."
    )
    fix = (
        "Define a Pydantic model per event type, validate incoming `data` with "
        "`Model.model_validate(...)` and publish `model.model_dump_json()`."
    )
    VALID = (
        "from pydantic import BaseModel\n\nclass Reminder(BaseModel):\n    task_id: str\n\n"
        "async def publish(client, reminder: Reminder) -> None:\n"
        "    await client.publish_event('pubsub', 'reminders', reminder.model_dump_json(), "
        "data_content_type='application/json')\n",
        "from fastapi import FastAPI, Request\n\napp = FastAPI()\n\n@app.post('/job/{name}')\n"
        "async def on_job(name: str, request: Request) -> dict:\n    return {}\n",
        # Constructing the model validates the payload.
        "from fastapi import FastAPI\nfrom pydantic import BaseModel\n\n"
        "class Order(BaseModel):\n    id: str\n\napp = FastAPI()\n\n"
        "@app.post('/job/cleanup')\n"
        "async def cleanup(body: dict) -> dict:\n"
        "    order = Order(**body)\n"
        "    return {'id': order.id}\n",
        # So does a TypeAdapter, here over raw JSON.
        "from fastapi import FastAPI, Request\nfrom pydantic import TypeAdapter\n\n"
        "app = FastAPI()\n\n"
        "@app.post('/job/cleanup')\n"
        "async def cleanup(request: Request) -> dict:\n"
        "    days = TypeAdapter(int).validate_json(await request.body())\n"
        "    return {'days': days}\n",
        # Only logging and echoing the payload reads no field of it.
        "import logging\nfrom typing import Any\nfrom dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI, Request\n\n"
        "logger = logging.getLogger(__name__)\napp = FastAPI()\ndapr_app = DaprApp(app)\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='audit')\n"
        "async def on_audit(event: dict[str, Any]) -> dict:\n"
        "    logger.info('audit event %s', event)\n"
        "    print(f'got {event}')\n"
        "    return {'status': 'SUCCESS', 'echo': event}\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='trace')\n"
        "async def on_trace(request: Request) -> dict:\n"
        "    body = await request.json()\n"
        "    logger.debug(body)\n"
        "    return {'status': 'SUCCESS'}\n",
        # Logged as JSON text: still no field is read.
        "import json\nimport logging\nfrom fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.post('/job/audit')\n"
        "async def audit(body: dict) -> dict:\n"
        "    logging.info('job %s', json.dumps(body, indent=2))\n"
        "    return {}\n",
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
    )
    INVALID = (
        Invalid(
            (
                "from typing import Any\n"
                "from dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI\n\n"
                "app = FastAPI()\n"
                "dapr_app = DaprApp(app)\n\n"
                "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
                "async def on_order(event: dict[str, Any]) -> dict:\n"
                "    print(event['data']['id'])\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=9,
            col=20,
        ),
        Invalid(
            (
                "import json\n"
                "from fastapi import FastAPI, Request\n\n"
                "app = FastAPI()\n\n"
                "@app.post('/job/cleanup')\n"
                "async def cleanup(request: Request) -> dict:\n"
                "    data = json.loads(await request.body())\n"
                "    print(data['days'])\n"
                "    return {}\n"
            ),
            line=8,
            col=12,
        ),
        Invalid(
            (
                "import json\n\nasync def publish(client, task_id: str) -> None:\n"
                "    await client.publish_event('pubsub', 'reminders', json.dumps({'task_id': "
                "task_id}), "
                "data_content_type='application/json')\n"
            ),
            line=4,
            col=66,
        ),
        Invalid(
            (
                "import logging\nfrom typing import Any\nfrom dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI\n\n"
                "app = FastAPI()\ndapr_app = DaprApp(app)\n\n"
                "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
                "async def on_order(event: dict[str, Any]) -> dict:\n"
                "    logging.info('order %s', event['data']['id'])\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=10,
            col=20,
        ),
        Invalid(
            (
                "from dataclasses import dataclass\nfrom fastapi import FastAPI, Request\n\n"
                "@dataclass\nclass Order:\n    id: str\n\napp = FastAPI()\n\n"
                "@app.post('/job/cleanup')\n"
                "async def cleanup(request: Request) -> dict:\n"
                "    data = await request.json()\n"
                "    return {'id': Order(**data).id}\n"
            ),
            line=12,
            col=18,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._helpers: dict[str, FunctionNode] = {}

    def visit_Module(self, node: ast.Module) -> None:
        # The file's functions and methods by name: a handler may validate through one of them.
        for statement in node.body:
            members = statement.body if isinstance(statement, ast.ClassDef) else [statement]
            for member in members:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    self._helpers[member.name] = member

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in _PUBLISH):
            return
        data = argument(node, 2, "data")
        if isinstance(data, ast.Call) and self.ctx.qualname(data.func) in (
            "json.dumps",
            "orjson.dumps",
        ):
            data = data.args[0] if data.args else None
        if isinstance(data, ast.Dict | ast.DictComp):
            self.report(
                data, "the event is built from a dict literal; publish a model's model_dump_json()"
            )

    def finish(self) -> None:
        handlers = [*self.ctx.subscription_handlers(), *(f for f, _ in self.ctx.job_handlers())]
        for handler in dict.fromkeys(handlers):
            if validates_with_model(self.ctx, handler, self._helpers):
                continue
            echoed = _echoed(self.ctx, handler)
            for parameter, kind in payload_parameters(self.ctx, handler):
                if kind == "untyped" and not _only_echoed(handler, parameter.arg, echoed):
                    self.report(
                        parameter, f"`{parameter.arg}` is an untyped payload", within=handler
                    )
            self._check_raw_json(handler, echoed)

    def _check_raw_json(self, handler: FunctionNode, echoed: set[int]) -> None:
        requests = {
            a.arg
            for a in handler.args.args + handler.args.kwonlyargs
            if a.annotation is not None and _last_name(a.annotation) == "Request"
        }
        # `data = json.loads(...)` / `data = await request.json()`: the name the payload lands in.
        assigned_to: dict[int, str] = {}
        for node in own_nodes(handler):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                value = node.value.value if isinstance(node.value, ast.Await) else node.value
                assigned_to[id(value)] = node.targets[0].id
        for node in own_nodes(handler):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            reads_request_json = (
                isinstance(func, ast.Attribute)
                and func.attr == "json"
                and isinstance(func.value, ast.Name)
                and func.value.id in requests
            )
            if not (reads_request_json or self.ctx.qualname(func) in _RAW_JSON):
                continue
            target = assigned_to.get(id(node))
            if id(node) in echoed or (target is not None and _only_echoed(handler, target, echoed)):
                continue
            self.report(
                node,
                "the payload is read as raw JSON and never validated by a model",
                within=handler,
            )


def _echoed(ctx: FileContext, handler: FunctionNode) -> set[int]:
    """Ids of the values `handler` only logs or echoes: arguments of `print(...)`/`logger.info(...)`
    and the like, and the returned value, also inside containers, f-strings and `str(...)` /
    `json.dumps(...)`. A payload used only that way cannot fail on a missing field;
    `print(event['id'])` reads a field, so a subscript (or any other expression) is not entered."""
    echoed: set[int] = set()
    pending: list[ast.AST] = []
    for node in own_nodes(handler):
        if isinstance(node, ast.Return) and node.value is not None:
            pending.append(node.value)
        elif isinstance(node, ast.Call) and (
            (isinstance(node.func, ast.Name) and node.func.id == "print")
            or (isinstance(node.func, ast.Attribute) and node.func.attr in _LOG_METHODS)
        ):
            pending.extend([*node.args, *(kw.value for kw in node.keywords)])
    while pending:
        node = pending.pop()
        echoed.add(id(node))
        if isinstance(node, _PASSES_THROUGH):
            pending.extend(ast.iter_child_nodes(node))
        elif isinstance(node, ast.Call) and _to_text(ctx, node):
            pending.extend(node.args)
    return echoed


def _to_text(ctx: FileContext, call: ast.Call) -> bool:
    func = call.func
    name = ctx.qualname(func) or (func.id if isinstance(func, ast.Name) else None)
    return name in _TO_TEXT


def _only_echoed(handler: FunctionNode, name: str, echoed: set[int]) -> bool:
    """True when every read of `name` in `handler` is one that only logs or echoes it."""
    return all(
        id(node) in echoed
        for node in own_nodes(handler)
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)
    )


def _last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return getattr(node, "id", "")
