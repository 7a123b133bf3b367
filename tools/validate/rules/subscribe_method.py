"""DAPR042: the programmatic subscription list served on a method daprd does not use.

At startup daprd asks the app for its subscriptions with `GET /dapr/subscribe`. A route at that
path declared for POST (or PUT, ...) only answers daprd with 405 - or, beside a `DaprApp`, the
extension's own GET route answers with its own (often empty) list - so none of the topics the
route lists is ever subscribed and no message is delivered.
"""

from __future__ import annotations

import ast

from tools.validate.context import SUBSCRIBE_PATH
from tools.validate.rules.base import Invalid, Rule


class SubscribeRouteMethod(Rule):
    id = "DAPR042"
    name = "subscribe-route-not-get"
    message = "daprd reads /dapr/subscribe with GET: this route never gives it the subscriptions"
    why = (
        "daprd discovers programmatic subscriptions once, with `GET /dapr/subscribe`. A route "
        "declared for another method answers 405 (or a DaprApp's own GET route answers in its "
        "place), so the topics it lists are never subscribed and their messages never arrive."
    )
    fix = "Declare the route with `@app.get('/dapr/subscribe')` (or use `DaprApp.subscribe`)."
    VALID = (
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.get('/dapr/subscribe')\n"
        "def subscribe() -> list[dict[str, str]]:\n"
        "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n",
    )
    INVALID = (
        Invalid(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter()\n\n"
            "@router.post('/dapr/subscribe')\n"
            "async def subscribe() -> list[dict[str, str]]:\n"
            "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n",
            line=5,
            col=2,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        for _, route in self.ctx.handlers:
            path = "/" + (route.path or "").lstrip("/")
            if (
                route.kind == "route"
                and route.path is not None
                and path.rstrip("/") == SUBSCRIBE_PATH
                and route.methods
                and "GET" not in route.methods
            ):
                verbs = ", ".join(sorted(route.methods))
                self.report(
                    route.decorator,
                    f"/dapr/subscribe is served for {verbs} only: daprd reads it with GET, so "
                    "none of the subscriptions it lists is made",
                )
