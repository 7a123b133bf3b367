from __future__ import annotations

import ast

from tools.validate.rules.base import Rule, header


class SyncHandler(Rule):
    id = "DAPR004"
    name = "sync-handler"
    message = "route and subscription handlers must be `async def`"
    why = (
        "FastAPI runs a plain `def` handler in a small thread pool; under a burst of Dapr "
        "deliveries the pool saturates and deliveries time out and are redelivered. Async handlers "
        "also cannot await the async DaprClient from a thread."
    )
    fix = "Declare the handler `async def` and `await` the Dapr client calls inside it."
    VALID = (
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.get('/healthz')\n"
        "async def health() -> dict:\n"
        "    return {'status': 'ok'}\n",
        "def helper() -> int:\n    return 1\n",
    )
    INVALID = (
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.post('/orders')\n"
        "def create() -> dict:\n"
        "    return {}\n",
        "from fastapi import FastAPI, Request\n"
        "from dapr.ext.fastapi import DaprApp\n\n"
        "app = FastAPI()\n"
        "dapr_app = DaprApp(app)\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
        "def on_order(request: Request) -> dict:\n"
        "    return {'status': 'SUCCESS'}\n",
    )

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        route = self.ctx.route_of(node)
        if route is not None:
            what = "subscription handler" if route.kind == "subscription" else "route handler"
            self.report(header(node), f"{what} `{node.name}` is a synchronous `def`")
