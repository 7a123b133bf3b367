"""DAPR041: a FastAPI handler parameter annotated with a class FastAPI cannot build a body from.

FastAPI reads a parameter annotated with a class as the request body and asks Pydantic for its
schema when the route is declared. The CloudEvents SDK's event classes
(`cloudevents.http.CloudEvent`, `cloudevents.sdk.event.v1.Event`, `cloudevents.abstract` and
`cloudevents.core` ones) are plain classes, so FastAPI raises `FastAPIError` at import and the
app never starts: no delivery reaches the handler. `cloudevents.pydantic.CloudEvent` is a
Pydantic model and fine; a dapr.ext.grpc callback is handed a `v1.Event` by the App, not by
FastAPI, and is not judged.
"""

from __future__ import annotations

from tools.validate.astutil import FunctionNode
from tools.validate.rules.base import Invalid, Rule

# Modules whose event classes FastAPI cannot turn into a body (cloudevents 1.x and 2.x).
_PLAIN_EVENT_MODULES = (
    "cloudevents.http",
    "cloudevents.sdk",
    "cloudevents.abstract",
    "cloudevents.core",
)
_FASTAPI_APPS = frozenset({"fastapi", "router", "dapr"})


class BodyParameterNotAModel(Rule):
    id = "DAPR041"
    name = "body-parameter-not-a-model"
    message = "FastAPI cannot build this parameter from the request body: the app fails at import"
    why = (
        "FastAPI turns a parameter annotated with a class into the request body through Pydantic, "
        "and checks it when the route is declared. The CloudEvents SDK's event classes are not "
        "Pydantic types: FastAPI raises FastAPIError while the module is imported, the app never "
        "starts, and Dapr delivers nothing to it."
    )
    fix = (
        "Take the envelope as `dict[str, Any]` (or a Pydantic model of its `data`), or use "
        "`cloudevents.pydantic.CloudEvent`; to parse with the SDK, read the raw request "
        "(`from_http(request.headers, await request.body())`)."
    )
    VALID = (
        "from typing import Any\n\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.post('/events/orders')\n"
        "async def on_order(event: dict[str, Any]) -> dict[str, str]:\n"
        "    print(event.get('id'))\n"
        "    return {'status': 'SUCCESS'}\n",
        # The Pydantic flavour of the SDK is a model.
        "from cloudevents.pydantic import CloudEvent\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.post('/events/orders')\n"
        "async def on_order(event: CloudEvent) -> dict[str, str]:\n"
        "    print(event.id)\n"
        "    return {'status': 'SUCCESS'}\n",
        # dapr.ext.grpc hands its callbacks a v1.Event itself.
        "from cloudevents.sdk.event import v1\n"
        "from dapr.ext.grpc import App\n\n"
        "app = App()\n\n"
        "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
        "def on_order(event: v1.Event) -> None:\n"
        "    print(event.Data())\n",
    )
    INVALID = (
        Invalid(
            "from cloudevents.http import CloudEvent\n"
            "from fastapi import APIRouter\n\n"
            "router = APIRouter()\n\n"
            "@router.post('/events/reminder')\n"
            "async def on_reminder(event: CloudEvent) -> dict[str, str]:\n"
            "    print(event.get('id'))\n"
            "    return {'status': 'SUCCESS'}\n",
            line=7,
            col=23,
        ),
    )

    def visit_FunctionDef(self, node: FunctionNode) -> None:
        self._check(node)

    def visit_AsyncFunctionDef(self, node: FunctionNode) -> None:
        self._check(node)

    def _check(self, function: FunctionNode) -> None:
        if self.ctx.framework_of(function) not in _FASTAPI_APPS:
            return
        arguments = function.args
        for parameter in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            qualname = self.ctx.qualname(parameter.annotation) if parameter.annotation else None
            if qualname is not None and qualname.startswith(_PLAIN_EVENT_MODULES):
                name = qualname.rpartition(".")[2]
                self.report(
                    parameter,
                    f"FastAPI cannot build `{parameter.arg}: {name}` from the request body (the "
                    "CloudEvents SDK class is not a Pydantic type): the app fails at import",
                )
