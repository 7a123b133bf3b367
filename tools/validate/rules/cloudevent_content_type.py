from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, argument, nodes_of
from tools.validate.context import FileContext
from tools.validate.rules._answers import last_name
from tools.validate.rules._http import Locals, header_value, publish_request
from tools.validate.rules._strings import HOLE, template
from tools.validate.rules.base import Invalid, Rule

CLOUDEVENTS_JSON = "application/cloudevents+json"
SERIALIZERS = frozenset({"json.dumps", "orjson.dumps", "ujson.dumps"})
# A model's own serialisers (pydantic v2 and v1).
MODEL_DUMPS = frozenset({"model_dump_json", "model_dump", "json", "dict"})
# The envelope's name in the CloudEvents spec, its SDK and the projects that model it.
_ENVELOPE_CLASS = "CloudEvent"
# Deep enough for `body = json.dumps(event).encode()` chains; stops self-reference.
_MAX_DEPTH = 6


class CloudEventContentType(Rule):
    id = "DAPR020"
    name = "cloudevent-published-as-json"
    message = "a self-built CloudEvent is published without the application/cloudevents+json type"
    why = (
        "Dapr keeps an event as the CloudEvent it is only when it is published with the content "
        "type `application/cloudevents+json`. Sent as `application/json` (what `json=` and "
        "`data_content_type='application/json'` say) or without a type, Dapr wraps the whole "
        "envelope as the `data` of a new CloudEvent: subscribers get the event inside `data` and "
        "a fresh `id`, so deduplication on the event id no longer works."
    )
    fix = (
        "Publish the envelope with `data_content_type='application/cloudevents+json'` (over raw "
        "HTTP: the `Content-Type: application/cloudevents+json` header) - or publish only the "
        "payload as `application/json` and set `publish_metadata={'cloudevent.id': ...}` for "
        "the fields you need."
    )
    VALID = (
        "import json\n\n"
        "async def publish(client, order_id: str) -> None:\n"
        "    event = {'specversion': '1.0', 'id': order_id, 'source': 'orders', "
        "'type': 'order.created', 'data': {'id': order_id}}\n"
        "    await client.publish_event('pubsub', 'orders', json.dumps(event), "
        "data_content_type='application/cloudevents+json')\n",
        # The envelope model published as what it is.
        "from pydantic import BaseModel\n\n"
        "class Envelope(BaseModel):\n"
        "    specversion: str = '1.0'\n"
        "    id: str\n"
        "    data: dict\n\n"
        "async def publish(client, event: Envelope) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', event.model_dump_json(), "
        "data_content_type='application/cloudevents+json')\n",
        # A model that is only the payload: Dapr wraps it, as it should.
        "from pydantic import BaseModel\n\n"
        "class Order(BaseModel):\n"
        "    id: str\n\n"
        "async def publish(client, order: Order) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', order.model_dump_json(), "
        "data_content_type='application/json')\n",
        # Only the payload: Dapr builds the envelope.
        "import json\n\n"
        "async def publish(client, order_id: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', json.dumps({'id': order_id}), "
        "data_content_type='application/json')\n",
    )
    INVALID = (
        # The envelope as a model of the project, dumped to JSON.
        Invalid(
            (
                "from pydantic import BaseModel\n\n"
                "class CloudEvent(BaseModel):\n"
                "    specversion: str = '1.0'\n"
                "    id: str\n"
                "    source: str\n"
                "    type: str\n"
                "    data: dict\n\n"
                "async def publish(client, event: CloudEvent) -> None:\n"
                "    await client.publish_event('pubsub', 'orders', event.model_dump_json(), "
                "data_content_type='application/json')\n"
            ),
            line=11,
            col=11,
        ),
        Invalid(
            (
                "import json\n\n"
                "async def publish(client, order_id: str) -> None:\n"
                "    event = {'specversion': '1.0', 'id': order_id, 'source': 'orders', "
                "'type': 'order.created', 'data': {'id': order_id}}\n"
                "    await client.publish_event('pubsub', 'orders', json.dumps(event), "
                "data_content_type='application/json')\n"
            ),
            line=5,
            col=11,
        ),
        Invalid(
            (
                "import os\n\n"
                "import httpx\n\n"
                "PUBLISH = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}/v1.0/publish\"\n\n"
                "async def publish(http: httpx.AsyncClient, order_id: str) -> None:\n"
                "    event = {'specversion': '1.0', 'id': order_id, 'source': 'orders', "
                "'type': 'order.created', 'data': {'id': order_id}}\n"
                "    response = await http.post(f'{PUBLISH}/pubsub/orders', json=event)  "
                "# noqa: DAPR019\n"
                "    response.raise_for_status()\n"
            ),
            line=9,
            col=22,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()
        self._envelopes: set[str] = {_ENVELOPE_CLASS}

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)
        # Models of the file that carry the envelope's own `specversion` field.
        self._envelopes |= {
            c.name
            for c in nodes_of(node, ast.ClassDef)
            if any(
                isinstance(s, ast.AnnAssign)
                and isinstance(s.target, ast.Name)
                and s.target.id == "specversion"
                for s in c.body
            )
        }

    def visit_Call(self, node: ast.Call) -> None:
        local = self._locals.of(self.ctx.function)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "publish_event":
            data = argument(node, 2, "data")
            content_type = argument(node, 5, "data_content_type")
            if self._cloudevent(data, local, 0) and self._not_cloudevent_type(content_type):
                self.report(node)
            return
        request = publish_request(self.ctx, node, local)
        if request is None:
            return
        declared = header_value(request.headers, "content-type", self.ctx)
        # Headers the file cannot read may well carry the right type.
        if declared is not None and (HOLE in declared or declared.startswith(CLOUDEVENTS_JSON)):
            return
        if self._cloudevent(request.json_body, local, 0) or self._cloudevent(
            request.raw_body, local, 0
        ):
            self.report(node)

    def _not_cloudevent_type(self, content_type: ast.expr | None) -> bool:
        if content_type is None:
            return True
        text = template(content_type, self.ctx.constants)
        return text is not None and HOLE not in text and not text.startswith(CLOUDEVENTS_JSON)

    def _cloudevent(self, node: ast.expr | None, local: dict[str, ast.expr], depth: int) -> bool:
        """A dict literal with `specversion`, directly or through names, dumps and encode()."""
        if node is None or depth > _MAX_DEPTH:
            return False
        if isinstance(node, ast.Dict):
            return any(
                isinstance(key, ast.Constant) and key.value == "specversion" for key in node.keys
            )
        if isinstance(node, ast.Name) and node.id in local:
            return self._cloudevent(local[node.id], local, depth + 1)
        if isinstance(node, ast.Call):
            if self.ctx.qualname(node.func) in SERIALIZERS and node.args:
                return self._cloudevent(node.args[0], local, depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "encode":
                return self._cloudevent(node.func.value, local, depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr in MODEL_DUMPS:
                return self._envelope_model(node.func.value, local, depth + 1)
        return False

    def _envelope_model(self, node: ast.expr, local: dict[str, ast.expr], depth: int) -> bool:
        """An instance of an envelope model: built here, or a parameter annotated with one."""
        return instance_of(node, self._envelopes, local, self.ctx.function, depth)


def instance_of(
    node: ast.expr,
    classes: set[str],
    local: dict[str, ast.expr],
    function: FunctionNode | None,
    depth: int = 0,
) -> bool:
    """`node` holds an instance of one of `classes` (by name): built here (directly or through
    the function's names), or a parameter of `function` annotated with one."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(node, ast.Call):
        return last_name(node.func) in classes
    if not isinstance(node, ast.Name):
        return False
    if node.id in local:
        return instance_of(local[node.id], classes, local, function, depth + 1)
    if function is None:
        return False
    arguments = function.args
    for parameter in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
        if parameter.arg == node.id and parameter.annotation is not None:
            return last_name(parameter.annotation) in classes
    return False
