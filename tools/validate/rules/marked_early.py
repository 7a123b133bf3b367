from __future__ import annotations

import ast
import re

from tools.validate.astutil import FunctionNode, argument, own_nodes
from tools.validate.rules.base import Invalid, Rule

_HEAD = (
    "import logging\n\n"
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI, Request\n"
    "from pydantic import BaseModel, ValidationError\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n\n"
    "log = logging.getLogger(__name__)\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(request: Request) -> dict:\n"
    "    try:\n"
    "        order = Order.model_validate((await request.json()).get('data'))\n"
    "    except ValidationError:\n"
    "        return {'status': 'DROP'}\n"
    "    dapr = request.app.state.dapr\n"
)
_MARK = "    await dapr.save_state('statestore', f'processed-{order.id}', '1')\n"
_WORK = (
    "    await dapr.publish_event('pubsub', 'invoices', order.model_dump_json(), "
    "data_content_type='application/json')\n"
)
_SUCCESS = "    return {'status': 'SUCCESS'}\n"
# A dapr.ext.grpc subscriber with the sync client: its calls are its work, no await to show it.
_GRPC = (
    "import json\n\n"
    "from cloudevents.sdk.event import v1\n"
    "from dapr.clients import DaprClient\n"
    "from dapr.ext.grpc import App\n\n"
    "app = App()\n"
    "dapr = DaprClient()\n\n"
    "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
    "def on_order(event: v1.Event) -> None:\n"
    "    order = json.loads(event.Data())\n"
)
_GRPC_MARK = "    dapr.save_state('statestore', f'processed-{event.id}', '1')\n"
_GRPC_WORK = (
    "    dapr.publish_event('pubsub', 'invoices', json.dumps(order), "
    "data_content_type='application/json')\n"
)
_MARKER_KEY = re.compile(r"process|dedup|seen|idempot|handled|done|consumed", re.IGNORECASE)
# Calls that are the handler's work: what a failure after the mark would leave undone.
_WORK_METHODS = frozenset(
    {
        "publish_event",
        "save_state",
        "save_bulk_state",
        "execute_state_transaction",
        "invoke_method",
        "invoke_binding",
        "schedule_job",
        "post",
        "put",
        "send",
        "execute",
        "commit",
    }
)


class MarkedBeforeDone(Rule):
    id = "DAPR035"
    name = "marked-processed-before-work"
    judges = frozenset({"pubsub", "binding", "job"})
    message = "the message is marked processed before its work is done"
    why = (
        "An idempotency mark tells every later delivery of the message to skip it. Written "
        "before the work, a crash or a failed call after it leaves the work undone while Dapr's "
        "redelivery - the very thing at-least-once delivery relies on - finds the mark and "
        "acknowledges: the message is lost."
    )
    fix = (
        "Do the work first and write the mark last (or in the same state transaction as the "
        "work's own state), or claim with an expiring lease that a failure releases."
    )
    VALID = (
        _HEAD + _WORK + _MARK + _SUCCESS,
        _HEAD + _MARK + _SUCCESS,
        _GRPC + _GRPC_WORK + _GRPC_MARK,
    )
    INVALID = (
        Invalid(_HEAD + _MARK + _WORK + _SUCCESS, line=21, col=11),
        Invalid(_GRPC + _GRPC_MARK + _GRPC_WORK, line=13, col=5),
    )

    def finish(self, module: ast.Module) -> None:
        for handler in [*self.ctx.judged_handlers(), *self.ctx.grpc_bindings()]:
            calls = sorted(_client_calls(handler), key=lambda node: (node.lineno, node.col_offset))
            for index, call in enumerate(calls):
                if _is_mark(call) and any(_is_work(later) for later in calls[index + 1 :]):
                    self.report(call, within=handler)
                    break


def _client_calls(handler: FunctionNode) -> list[ast.Call]:
    """The calls a handler makes its writes with: the awaited ones of an `async def`, every call
    of a plain `def` (a dapr.ext.grpc callback with the sync DaprClient)."""
    if isinstance(handler, ast.AsyncFunctionDef):
        return [
            node.value
            for node in own_nodes(handler)
            if isinstance(node, ast.Await) and isinstance(node.value, ast.Call)
        ]
    return [node for node in own_nodes(handler) if isinstance(node, ast.Call)]


def _method(call: ast.expr) -> str:
    return (
        call.func.attr
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        else ""
    )


def _is_mark(call: ast.Call) -> bool:
    if _method(call) != "save_state":
        return False
    key = argument(call, 1, "key")
    return key is not None and _MARKER_KEY.search(ast.unparse(key)) is not None


def _is_work(call: ast.expr) -> bool:
    return _method(call) in _WORK_METHODS and not (isinstance(call, ast.Call) and _is_mark(call))
