from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.rules.base import Invalid, Rule

STATUSES = frozenset({"SUCCESS", "RETRY", "DROP"})


class SubscriptionStatus(Rule):
    id = "DAPR005"
    judges = frozenset({"pubsub"})
    name = "subscription-status"
    message = "a subscription handler answers something Dapr does not read as intended"
    why = (
        "Dapr reads a 2xx answer's JSON `status`: SUCCESS (or no status at all) acknowledges, "
        "RETRY redelivers, DROP drops or dead-letters, and any other text - `'OK'`, `'success'` "
        "in lower case - counts as RETRY. A `(body, 500)` tuple is serialised by FastAPI as a "
        "200 response with a JSON array, and a 200 with an error body (`{'error': ...}`) has no "
        "status: both acknowledge a failure, and the message is lost."
    )
    fix = (
        "Return `{'status': 'SUCCESS'}` when done, `{'status': 'RETRY'}` for transient failures "
        "and `{'status': 'DROP'}` for messages that can never succeed, spelled exactly so."
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
        # No body, or a body without a status, is SUCCESS to daprd.
        "from dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI, Request\n\n"
        "app = FastAPI()\n"
        "dapr_app = DaprApp(app)\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
        "async def on_order(request: Request) -> dict:\n"
        "    if not request.headers:\n"
        "        return {'processed': True}\n"
        "    print(request)\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI, Request\n\n"
                "app = FastAPI()\n"
                "dapr_app = DaprApp(app)\n\n"
                "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
                "async def on_order(request: Request) -> dict:\n"
                "    if not request.headers:\n"
                "        return {'error': 'no headers'}\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=10,
            col=9,
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
                if isinstance(node, ast.Return) and node.value is not None:
                    self._check_return(node, node.value, handler)

    def _check_return(self, node: ast.Return, value: ast.expr, handler: FunctionNode) -> None:
        if isinstance(value, ast.Tuple):
            if self.ctx.framework_of(handler) != "flask":  # Flask sends `(body, status)` as is
                self.report(
                    node,
                    "returns a tuple: FastAPI sends it as HTTP 200 with a JSON array, so Dapr "
                    "acknowledges",
                    within=handler,
                )
        elif isinstance(value, ast.Dict):
            entries = {
                k.value: v
                for k, v in zip(value.keys, value.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
            status = entries.get("status")
            if isinstance(status, ast.Constant) and status.value not in STATUSES:
                self.report(
                    node,
                    f"status {status.value!r} is not SUCCESS, RETRY or DROP (Dapr treats it as "
                    "RETRY)",
                    within=handler,
                )
            elif status is None and _reports_failure(entries):
                self.report(
                    node,
                    "answers 200 with an error body and no status: Dapr acknowledges and the "
                    "message is lost",
                    within=handler,
                )


_FAILURE_KEYS = frozenset({"error", "errors", "failure", "exception"})


def _reports_failure(entries: dict[str, ast.expr]) -> bool:
    """`{'error': ...}` or `{'success': False}`: a failure written as a success answer."""
    if entries.keys() & _FAILURE_KEYS:
        return True
    flags = [entries.get("success"), entries.get("ok")]
    return any(isinstance(flag, ast.Constant) and flag.value is False for flag in flags)
