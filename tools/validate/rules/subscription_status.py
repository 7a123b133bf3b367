from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, always_exits, own_nodes
from tools.validate.rules.base import Invalid, Rule, header

STATUSES = frozenset({"SUCCESS", "RETRY", "DROP"})


class SubscriptionStatus(Rule):
    id = "DAPR005"
    judges = frozenset({"pubsub"})
    name = "subscription-status"
    message = "a subscription handler must answer with an explicit SUCCESS, RETRY or DROP"
    why = (
        "Dapr reads the handler's JSON `status` to decide whether to acknowledge, redeliver or "
        "dead-letter the message. Returning nothing hides that decision; returning a `(body, 500)` "
        "tuple is serialised by FastAPI as a 200 response with a JSON array, so a failure is "
        "acknowledged and the message lost."
    )
    fix = (
        "Return `{'status': 'SUCCESS'}` when done, `{'status': 'RETRY'}` for transient failures "
        "and `{'status': 'DROP'}` for messages that can never succeed, on every path."
    )
    VALID = (
        "import json\n\nfrom flask import Flask, jsonify\n\n"
        "app = Flask(__name__)\n\n"
        "@app.route('/dapr/subscribe', methods=['GET'])\n"
        "def subscribe():\n"
        "    return jsonify([{'pubsubname': 'pubsub', 'topic': 'orders', 'route': 'orders'}])\n\n"
        "@app.route('/orders', methods=['POST'])\n"
        "def on_order():\n"
        "    return json.dumps({'status': 'SUCCESS'}), 200, {'ContentType': 'application/json'}\n",
        "from dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI, Request\n\n"
        "app = FastAPI()\n"
        "dapr_app = DaprApp(app)\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
        "async def on_order(request: Request) -> dict:\n"
        "    if not request.headers:\n"
        "        return {'status': 'DROP'}\n"
        "    return {'status': 'SUCCESS'}\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI, Request\n\n"
                "app = FastAPI()\n"
                "dapr_app = DaprApp(app)\n\n"
                "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
                "async def on_order(request: Request) -> None:\n"
                "    print(request)\n"
            ),
            line=8,
            col=1,
        ),
        Invalid(
            (
                "from fastapi import FastAPI, Request\n\n"
                "app = FastAPI()\n\n"
                "@app.get('/dapr/subscribe')\n"
                "async def subscribe() -> list:\n"
                "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n\n"
                "@app.post('/orders')\n"
                "async def on_order(request: Request):\n"
                "    if not request.headers:\n"
                "        return {'error': 'empty'}, 500\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=12,
            col=9,
        ),
        Invalid(
            (
                "from dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI, Request\n\n"
                "app = FastAPI()\n"
                "dapr_app = DaprApp(app)\n\n"
                "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
                "async def on_order(request: Request) -> dict:\n"
                "    return {'status': 'OK'}\n"
            ),
            line=9,
            col=5,
        ),
    )

    def finish(self) -> None:
        for handler in self.ctx.subscription_handlers():
            for node in own_nodes(handler):
                if isinstance(node, ast.Return):
                    self._check_return(node, handler)
            if not always_exits(handler.body):
                self.report(
                    header(handler),
                    f"`{handler.name}` can finish without returning a status "
                    "(Dapr then acknowledges)",
                    within=handler,
                )

    def _check_return(self, node: ast.Return, handler: FunctionNode) -> None:
        value = node.value
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            self.report(
                node,
                "returns no status: return {'status': 'SUCCESS'|'RETRY'|'DROP'}",
                within=handler,
            )
        elif isinstance(value, ast.Tuple) and self.ctx.framework_of(handler) == "flask":
            return  # Flask sends `(body, status)` as that status: a real answer
        elif isinstance(value, ast.Tuple):
            self.report(
                node,
                "returns a tuple: FastAPI sends it as HTTP 200 with a JSON array, not an error "
                "status",
                within=handler,
            )
        elif isinstance(value, ast.Dict):
            status = next(
                (
                    v
                    for k, v in zip(value.keys, value.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "status"
                ),
                None,
            )
            if status is None:
                self.report(node, "the returned object has no 'status' key", within=handler)
            elif isinstance(status, ast.Constant) and status.value not in STATUSES:
                self.report(
                    node,
                    f"status {status.value!r} is not SUCCESS, RETRY or DROP "
                    "(Dapr treats it as RETRY)",
                    within=handler,
                )
