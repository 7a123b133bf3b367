from __future__ import annotations

import ast
from collections.abc import Iterable

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.context import FileContext
from tools.validate.rules._envelope import ENVELOPE_FIELDS, ModelShapes, answers_validation_errors
from tools.validate.rules._payload import payload_parameters
from tools.validate.rules.base import Invalid, Rule

_HEAD = (
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI, Request\n"
    "from pydantic import BaseModel\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n"
    "    total: float = 0\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
)
_VALIDATORS = frozenset({"model_validate", "model_validate_json", "parse_obj", "parse_raw"})


class EnvelopeValidated(Rule):
    id = "DAPR034"
    name = "envelope-validated-as-event"
    judges = frozenset({"pubsub"})
    message = "the CloudEvent envelope is validated as the event: the event is its `data`"
    why = (
        "Dapr delivers each message wrapped in a CloudEvent: `id`, `source`, `type`, "
        "`specversion`, ... with the published payload under `data`. Validating the whole body "
        "against the event's model reads the envelope's fields instead: required fields fail on "
        "every message (422 or 500, retried forever), and optional ones silently take defaults "
        "while the real values sit unread in `data`. An envelope model that requires attributes "
        "the CloudEvents spec leaves optional or that daprd adds only to envelopes it builds "
        "(`datacontenttype`, `time`, `traceid`, `tracestate`, ...) fails the same way on a "
        "delivery without them: a raw payload, or an event its publisher wrapped itself."
    )
    fix = (
        "Validate the payload: `Order.model_validate(envelope['data'])` (or `envelope.get('data')`"
        " with DROP when it is missing), or type the parameter as a CloudEvent model with a "
        "`data: Order` field and defaults for every attribute but `id`, `source`, `type` and "
        "`specversion`."
    )
    VALID = (
        _HEAD + "async def on_order(request: Request) -> dict:\n"
        "    envelope = await request.json()\n"
        "    print(Order.model_validate(envelope.get('data')))\n"
        "    return {'status': 'SUCCESS'}\n",
        _HEAD.replace(
            "class Order(BaseModel):\n",
            "class OrderEvent(BaseModel):\n    data: dict\n\nclass Order(BaseModel):\n",
        )
        + "async def on_order(event: OrderEvent) -> dict:\n"
        "    print(Order.model_validate(event.data))\n"
        "    return {'status': 'SUCCESS'}\n",
        _HEAD.replace(
            "class Order(BaseModel):\n",
            "class OrderEvent(BaseModel):\n    id: str\n    data: dict\n"
            "    traceid: str | None = None\n    tracestate: str = ''\n\n"
            "class Order(BaseModel):\n",
        )
        + "async def on_order(event: OrderEvent) -> dict:\n"
        "    print(Order.model_validate(event.data))\n"
        "    return {'status': 'SUCCESS'}\n",
    )
    INVALID = (
        # A comment showing a raw publish asks for nothing: the subscription is not raw.
        Invalid(
            "from dapr.ext.fastapi import DaprApp\n"
            "from fastapi import FastAPI\n"
            "from pydantic import BaseModel\n\n"
            "class Envelope(BaseModel):\n"
            "    id: str\n"
            "    data: dict\n"
            "    traceparent: str\n\n"
            "app = FastAPI()\n"
            "dapr_app = DaprApp(app)\n\n"
            "# curl -X POST 'localhost:3500/v1.0/publish/pubsub/raw?metadata.rawPayload=true'\n"
            "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
            "def on_order(event: Envelope) -> None:\n"
            "    print(event.data)\n",
            line=15,
            col=14,
        ),
        Invalid(
            _HEAD + "async def on_order(request: Request) -> dict:\n"
            "    try:\n"
            "        order = Order.model_validate(await request.json())\n"
            "    except ValueError:\n"
            "        return {'status': 'DROP'}\n"
            "    print(order)\n"
            "    return {'status': 'SUCCESS'}\n",
            line=15,
            col=17,
        ),
        Invalid(
            _HEAD + "async def on_order(request: Request) -> dict:\n"
            "    body = await request.json()\n"
            "    try:\n"
            "        print(Order(**body))\n"
            "    except ValueError:\n"
            "        return {'status': 'DROP'}\n"
            "    return {'status': 'SUCCESS'}\n",
            line=16,
            col=15,
        ),
        Invalid(
            _HEAD + "async def on_order(event: dict) -> dict:\n"
            "    try:\n"
            "        order = Order.model_validate(event)\n"
            "    except ValueError:\n"
            "        return {'status': 'DROP'}\n"
            "    print(order)\n"
            "    return {'status': 'SUCCESS'}\n",
            line=15,
            col=17,
        ),
        Invalid(
            _HEAD.replace(
                "class Order(BaseModel):\n",
                "class CloudEvent(BaseModel):\n    id: str\n    data: dict\n"
                "    traceid: str\n    tracestate: str\n\nclass Order(BaseModel):\n",
            )
            + "async def on_order(event: CloudEvent) -> dict:\n"
            "    print(event.data)\n"
            "    return {'status': 'SUCCESS'}\n",
            line=19,
            col=20,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._shapes = ModelShapes()
        self._answers_validation_errors = False

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._shapes.note(node)

    def visit_Call(self, node: ast.Call) -> None:
        self._answers_validation_errors |= answers_validation_errors(node)

    def finish(self, module: ast.Module) -> None:
        if self.ctx.raw_payloads:
            return  # raw deliveries carry the payload itself, not an envelope
        for handler in self.ctx.judged_handlers():
            # The whole body: read from the request, or a dict parameter FastAPI fills with it.
            bodies = _body_names(handler) | {
                parameter.arg
                for parameter, kind in payload_parameters(self.ctx, handler)
                if kind == "untyped"
            }
            for node in own_nodes(handler):
                if isinstance(node, ast.Call):
                    model, data = _validated(node)
                    if model is not None and self._is_event_model(model) and _is_body(data, bodies):
                        self.report(node, within=handler)
            for parameter, kind in payload_parameters(self.ctx, handler):
                annotation = parameter.annotation
                if kind != "model" or not isinstance(annotation, ast.Name):
                    continue
                if self._is_event_model(annotation.id):
                    self.report(
                        parameter,
                        f"`{parameter.arg}` receives the whole CloudEvent, not the event: "
                        "type it as an envelope model with `data` or read `data` from the request",
                        within=handler,
                    )
                elif self._answers_validation_errors:
                    continue
                elif self._shapes.fields(annotation.id) is None:
                    self._note_imported(annotation, parameter, handler)
                elif lacking := self._shapes.lacking_attributes(annotation.id):
                    self.report(
                        parameter, requires_attributes(parameter.arg, lacking), within=handler
                    )

    def _note_imported(
        self, annotation: ast.Name, parameter: ast.arg, handler: FunctionNode
    ) -> None:
        """A model imported from another module: the project knows whether it is an envelope
        requiring attributes a delivery may lack. Only handlers this file shows Dapr delivering
        to are noted; a route another file may declare is judged where it is declared."""
        qualname = self.ctx.qualname(annotation)
        if qualname is None or self.ctx.deferral_target(parameter, handler) is not None:
            return
        diagnostic = self.ctx.diagnostic(self, parameter, within=handler)
        if diagnostic is not None:
            self.ctx.imported_envelopes.append((qualname, parameter.arg, diagnostic))

    def _is_event_model(self, name: str) -> bool:
        """A model of this file without the envelope's fields (imported models: unknown, quiet)."""
        fields = self._shapes.fields(name)
        return name in self.ctx.models and fields is not None and not fields & ENVELOPE_FIELDS


def requires_attributes(parameter: str, lacking: Iterable[str]) -> str:
    names = ", ".join(f"`{name}`" for name in sorted(lacking))
    return (
        f"`{parameter}` requires the envelope attributes {names}, which a delivery may lack (a "
        "raw payload, a publisher's own CloudEvent): FastAPI answers such a message 422 and Dapr "
        "redelivers it forever"
    )


def _validated(call: ast.Call) -> tuple[str | None, ast.expr | None]:
    """(model name, validated value) of `Model.model_validate(x)` or `Model(**x)`."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in _VALIDATORS
        and isinstance(func.value, ast.Name)
    ):
        return func.value.id, call.args[0] if call.args else None
    if isinstance(func, ast.Name) and not call.args and len(call.keywords) == 1:
        only = call.keywords[0]
        if only.arg is None:
            return func.id, only.value
    return None, None


def _is_request_json(node: ast.expr | None) -> bool:
    """`await request.json()`: the whole delivered body."""
    return (
        isinstance(node, ast.Await)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "json"
    )


def _body_names(handler: FunctionNode) -> set[str]:
    """Names the handler binds to the whole body (`envelope = await request.json()`)."""
    return {
        target.id
        for node in own_nodes(handler)
        if isinstance(node, ast.Assign) and _is_request_json(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _is_body(node: ast.expr | None, bodies: set[str]) -> bool:
    return _is_request_json(node) or (isinstance(node, ast.Name) and node.id in bodies)
