"""DAPR058: the programmatic subscription list served under a prefix, where daprd never reads it.

daprd asks for an app's subscriptions once, at startup, with `GET /dapr/subscribe` at the app's
root. A list declared on a router built with a prefix (`APIRouter(prefix='/events')` serving
`/events/dapr/subscribe`), or on a path of its own (`/api/dapr/subscribe`), answers a URL daprd
never calls: daprd finds no subscription there, and none of the topics the list names is ever
delivered. Reported at the route's decorator, when the path the decorator serves (with its
router's own prefix) ends in `/dapr/subscribe` but is not it; a prefix that only the mounting
code adds elsewhere (`include_router(router, prefix=...)`) is not followed.
"""

from __future__ import annotations

import ast

from tools.validate.context import SUBSCRIBE_PATH
from tools.validate.rules.base import Invalid, Rule

_HANDLER = (
    "async def subscribe() -> list[dict[str, str]]:\n"
    "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/events/orders'}]\n"
)


class SubscribeRoutePrefixed(Rule):
    id = "DAPR058"
    name = "subscribe-route-prefixed"
    message = (
        "daprd reads `GET /dapr/subscribe` at the app's root: this list is served under a "
        "prefix, so none of its subscriptions is made"
    )
    why = (
        "daprd discovers programmatic subscriptions once, at startup, by calling "
        "`GET /dapr/subscribe` on the app's root. A list served at `/events/dapr/subscribe` - "
        "declared on an `APIRouter(prefix='/events')`, or under a path of its own - is never "
        "asked for: daprd sees no subscription, subscribes the app to nothing, and the handlers "
        "the list names never receive a message."
    )
    fix = (
        "Serve the list at the root: declare it on the app (`@app.get('/dapr/subscribe')`) or on "
        "a router without a prefix, keep the prefix in the routes it lists (`'route': "
        "'/events/orders'`), or subscribe with `DaprApp(app).subscribe(...)` or Subscription "
        "manifests."
    )
    VALID = (
        "from fastapi import APIRouter, FastAPI\n\n"
        "app = FastAPI()\n"
        "events = APIRouter(prefix='/events')\n\n"
        "@app.get('/dapr/subscribe')\n" + _HANDLER,
    )
    INVALID = (
        Invalid(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter(prefix='/events')\n\n"
            "@router.get('/dapr/subscribe')\n" + _HANDLER,
            line=5,
            col=2,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        for _, route in self.ctx.handlers:
            if route.lists_subscriptions:
                served = "/" + (route.path or "").strip("/")
                if served != SUBSCRIBE_PATH:
                    self.report(
                        route.decorator,
                        f"daprd reads `GET /dapr/subscribe` at the app's root: this list is "
                        f"served at `{served}`, so none of its subscriptions is made",
                    )
