from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.context import FileContext
from tools.validate.rules._answers import caught
from tools.validate.rules._envelope import ModelShapes, answers_validation_errors
from tools.validate.rules._examples import ORDER_HANDLER
from tools.validate.rules._payload import VALIDATING_METHODS, payload_parameters
from tools.validate.rules.base import Invalid, Rule

# Catching one of these around `model_validate` or `Model(**data)` turns a bad payload into an
# answer of the handler's choosing.
_CATCHES_VALIDATION = frozenset(
    {"ValidationError", "ValueError", "TypeError", "KeyError", "Exception", "BaseException"}
)

# A handler that builds a dataclass from the payload itself: `Order(**data)` raises TypeError.
_DATACLASS_HANDLER = (
    "import json\nfrom dataclasses import dataclass\n\n"
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI\n\n"
    "@dataclass\nclass Order:\n    id: str\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(event: dict) -> dict:\n"
)


# A dapr.ext.grpc subscriber validating the data the App hands it.
_GRPC = (
    "from cloudevents.sdk.event import v1\n"
    "from dapr.clients.grpc._response import TopicEventResponse\n"
    "from dapr.ext.grpc import App\n"
    "from pydantic import BaseModel, ValidationError\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n\n"
    "app = App()\n\n"
    "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
    "def on_order(event: v1.Event) -> TopicEventResponse:\n"
)
_GRPC_SUCCESS = "    print(order.id)\n    return TopicEventResponse('success')\n"


class PoisonMessage(Rule):
    id = "DAPR006"
    judges = frozenset({"pubsub"})
    judges_payload_delegates = True
    name = "poison-message-retried"
    message = "an invalid message makes the handler fail with 422/500, which Dapr retries forever"
    why = (
        "Dapr treats every non-2xx answer except 404 as retriable. When FastAPI rejects a payload "
        "with 422, or a `ValidationError` (or the TypeError of `Model(**data)`) escapes as 500, "
        "the same malformed message is "
        "redelivered again and again and blocks the topic; it never reaches the dead-letter topic."
    )
    fix = (
        "Accept the envelope leniently (e.g. a model with `extra='allow'` or `Request`), validate "
        "`data` with `Model.model_validate(...)` inside `try`/`except ValidationError` and return "
        "`{'status': 'DROP'}` there - or register an exception handler for "
        "`RequestValidationError` that answers DROP."
    )
    VALID = (
        _GRPC + "    try:\n"
        "        order = Order.model_validate_json(event.Data())\n"
        "    except ValidationError:\n"
        "        return TopicEventResponse('drop')\n" + _GRPC_SUCCESS,
        ORDER_HANDLER + "    envelope = await request.json()\n"
        "    try:\n"
        "        order = Order.model_validate(envelope.get('data'))\n"
        "    except ValidationError:\n"
        "        return {'status': 'DROP'}\n"
        "    print(order)\n"
        "    return {'status': 'SUCCESS'}\n",
        "from dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI\n"
        "from fastapi.exceptions import RequestValidationError\n"
        "from fastapi.responses import JSONResponse\n"
        "from pydantic import BaseModel\n\n"
        "class Order(BaseModel):\n"
        "    id: str\n\n"
        "app = FastAPI()\n"
        "dapr_app = DaprApp(app)\n\n"
        "@app.exception_handler(RequestValidationError)\n"
        "async def drop_invalid(request, exc) -> JSONResponse:\n"
        "    return JSONResponse({'status': 'DROP'})\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
        "async def on_order(order: Order) -> dict:\n"
        "    return {'status': 'SUCCESS'}\n",
        # A CloudEvents SDK class is no Pydantic type: FastAPI refuses the route (DAPR041),
        # it never answers 422.
        "from cloudevents.http import CloudEvent\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.get('/dapr/subscribe')\n"
        "def subscribe() -> list[dict[str, str]]:\n"
        "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n\n"
        "@app.post('/orders')\n"
        "async def on_order(event: CloudEvent) -> dict[str, str]:\n"
        "    return {'status': 'SUCCESS'}\n",
        # A function handed a route's request: judged only where a route Dapr delivers to
        # answers with it (the project's check), never on its own.
        "from fastapi import Request\n"
        "from pydantic import BaseModel\n\n"
        "class Order(BaseModel):\n"
        "    id: str\n\n"
        "async def handle_order(request: Request) -> dict:\n"
        "    order = Order.model_validate((await request.json())['data'])\n"
        "    print(order)\n"
        "    return {'status': 'SUCCESS'}\n",
        # A function handed a payload: judged only where a route Dapr delivers to awaits it with
        # the message's data before answering SUCCESS (the project's check).
        "from pydantic import BaseModel\n\n"
        "class Order(BaseModel):\n"
        "    id: str\n\n"
        "async def process_order(data: dict) -> None:\n"
        "    order = Order.model_validate(data)\n"
        "    print(order)\n",
        _DATACLASS_HANDLER + "    try:\n"
        "        order = Order(**json.loads(event['data']))\n"
        "    except (TypeError, ValueError):\n"
        "        return {'status': 'DROP'}\n"
        "    print(order)\n"
        "    return {'status': 'SUCCESS'}\n",
    )
    INVALID = (
        # The gRPC App answers the escaping ValidationError with a gRPC error: RETRY.
        Invalid(
            _GRPC + "    order = Order.model_validate_json(event.Data())\n" + _GRPC_SUCCESS,
            line=13,
            col=13,
        ),
        Invalid(
            (
                "from dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI\n"
                "from pydantic import BaseModel\n\n"
                "class Order(BaseModel):\n"
                "    data: dict\n\n"
                "app = FastAPI()\n"
                "dapr_app = DaprApp(app)\n\n"
                "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
                "async def on_order(order: Order) -> dict:\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=12,
            col=20,
        ),
        Invalid(
            (
                "from dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI, Request\n"
                "from pydantic import BaseModel\n\n"
                "class Order(BaseModel):\n"
                "    id: str\n\n"
                "app = FastAPI()\n"
                "dapr_app = DaprApp(app)\n\n"
                "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
                "async def on_order(request: Request) -> dict:\n"
                "    order = Order.model_validate((await request.json())['data'])\n"
                "    print(order)\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=13,
            col=13,
        ),
        Invalid(
            (
                _DATACLASS_HANDLER + "    order = Order(**json.loads(event['data']))\n"
                "    print(order)\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=16,
            col=13,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._answers_validation_errors = False
        self._shapes = ModelShapes()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._shapes.note(node)

    def visit_Call(self, node: ast.Call) -> None:
        self._answers_validation_errors |= answers_validation_errors(node)

    def finish(self, module: ast.Module) -> None:
        for handler in [*self.ctx.judged_handlers(), *self.ctx.payload_delegates]:
            if not self._answers_validation_errors:
                for parameter, kind in payload_parameters(self.ctx, handler):
                    if kind == "model" and not self._lacks_attributes(parameter):
                        self.report(
                            parameter,
                            f"FastAPI answers 422 when `{parameter.arg}` does not validate; "
                            "Dapr retries 422 forever",
                            within=handler,
                        )
            self._check_unguarded_validation(handler)

    def _check_unguarded_validation(self, handler: FunctionNode) -> None:
        guarded: set[int] = set()
        for node in own_nodes(handler):
            if isinstance(node, ast.Try | ast.TryStar) and any(
                self._catches(h) for h in node.handlers
            ):
                guarded.update(
                    id(inner) for statement in node.body for inner in ast.walk(statement)
                )
        payload = _payload_names(self.ctx, handler)
        # A dapr.ext.grpc callback's error reaches daprd as a gRPC error: retried all the same.
        escapes = "a gRPC error" if self.ctx.grpc_delivery(handler) else "HTTP 500"
        for node in own_nodes(handler):
            if not isinstance(node, ast.Call) or id(node) in guarded:
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr in VALIDATING_METHODS:
                self.report(
                    node,
                    f"a ValidationError here escapes as {escapes} and Dapr redelivers the "
                    "message forever",
                    within=handler,
                )
            elif _builds_from_payload(node, payload):
                self.report(
                    node,
                    f"`{ast.unparse(node.func)}(**...)` raises on a malformed message; the error "
                    f"escapes as {escapes} and Dapr redelivers the message forever",
                    within=handler,
                )

    def _lacks_attributes(self, parameter: ast.arg) -> bool:
        """An envelope model requiring attributes a delivery may lack: DAPR034 says why it fails."""
        annotation = parameter.annotation
        return isinstance(annotation, ast.Name) and bool(
            self._shapes.lacking_attributes(annotation.id)
        )

    @staticmethod
    def _catches(handler: ast.ExceptHandler) -> bool:
        return bool(caught(handler) & _CATCHES_VALIDATION)


def _payload_names(ctx: FileContext, handler: FunctionNode) -> set[str]:
    """Names holding the delivered payload or a part of it: a dict parameter, `await
    request.json()`, `json.loads(...)`, and what is read from those."""
    names = {
        parameter.arg for parameter, kind in payload_parameters(ctx, handler) if kind == "untyped"
    }
    for node in own_nodes(handler):
        if isinstance(node, ast.Assign) and _from_payload(node.value, names):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def _from_payload(node: ast.expr, names: set[str]) -> bool:
    if isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Subscript):
        return _from_payload(node.value, names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        method = node.func.attr
        if method == "loads" or (method == "json" and not node.args):
            return True
        return method == "get" and _from_payload(node.func.value, names)
    return False


def _builds_from_payload(call: ast.Call, payload: set[str]) -> bool:
    """`Model(**data)`: a class (capitalised by convention) built from the payload's keys."""
    if not (isinstance(call.func, ast.Name) and call.func.id[:1].isupper()) or call.args:
        return False
    unpacked = [k.value for k in call.keywords if k.arg is None]
    return len(unpacked) == 1 and _from_payload(unpacked[0], payload)
