from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, argument, own_nodes
from tools.validate.rules._payload import payload_parameters, validates_with_model
from tools.validate.rules.base import Rule

_RAW_JSON = frozenset({"json.loads", "orjson.loads", "ujson.loads"})
_PUBLISH = frozenset({"publish_event", "publish_events"})


class UntypedPayload(Rule):
    id = "DAPR007"
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
    )
    INVALID = (
        "from typing import Any\n"
        "from dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n"
        "dapr_app = DaprApp(app)\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
        "async def on_order(event: dict[str, Any]) -> dict:\n"
        "    print(event['data']['id'])\n"
        "    return {'status': 'SUCCESS'}\n",
        "import json\n"
        "from fastapi import FastAPI, Request\n\n"
        "app = FastAPI()\n\n"
        "@app.post('/job/cleanup')\n"
        "async def cleanup(request: Request) -> dict:\n"
        "    data = json.loads(await request.body())\n"
        "    print(data['days'])\n"
        "    return {}\n",
        "import json\n\nasync def publish(client, task_id: str) -> None:\n"
        "    await client.publish_event('pubsub', 'reminders', json.dumps({'task_id': task_id}), "
        "data_content_type='application/json')\n",
    )

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
            if validates_with_model(handler):
                continue
            for parameter, kind in payload_parameters(self.ctx, handler):
                if kind == "untyped":
                    self.report(
                        parameter, f"`{parameter.arg}` is an untyped payload", within=handler
                    )
            self._check_raw_json(handler)

    def _check_raw_json(self, handler: FunctionNode) -> None:
        requests = {
            a.arg
            for a in handler.args.args + handler.args.kwonlyargs
            if a.annotation is not None and _last_name(a.annotation) == "Request"
        }
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
            if reads_request_json or self.ctx.qualname(func) in _RAW_JSON:
                self.report(
                    node,
                    "the payload is read as raw JSON and never validated by a model",
                    within=handler,
                )


def _last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return getattr(node, "id", "")
