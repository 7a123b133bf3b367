from __future__ import annotations

from tools.validate.rules.base import Invalid, Rule

_APP = "from fastapi import APIRouter, FastAPI\n\napp = FastAPI()\norders = APIRouter()\n\n"
_SUBSCRIBE = (
    "@app.get('/dapr/subscribe')\n"
    "def subscribe() -> list[dict]:\n"
    "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n\n"
)
_HANDLER = (
    "@orders.post('/orders')\nasync def on_order() -> dict:\n    return {'status': 'SUCCESS'}\n"
)


class UnservedRoute(Rule):
    """Found by the project-level check (tools.validate.project): it needs every file's routes."""

    id = "DAPR030"
    name = "subscription-route-not-served"
    message = "Dapr is told to deliver to a route the app does not serve"
    why = (
        "Dapr posts each message to the route a subscription names (programmatic "
        "`/dapr/subscribe`, a Subscription manifest or `DaprApp.subscribe`). When no route of the "
        "app answers it - the router is never included, it is mounted under a prefix such as "
        "`/api/v1`, or the path is spelled differently - the app answers 404, which Dapr treats "
        "as a message to drop: every message on the topic is lost, with no error in the app. An "
        "input binding (cron included) calls the route its `route` metadata names, else "
        "`/<component name>`; daprd probes it with OPTIONS at startup and, on a 404, never "
        "triggers the app at all."
    )
    fix = (
        "Make the subscription's route the path the app serves, prefixes included "
        "(`/api/v1/orders`), or serve the route where Dapr calls it; include the router. For a "
        "binding, set its `route` metadata to the path the app serves."
    )
    VALID = (
        _APP + _SUBSCRIBE + _HANDLER + "\napp.include_router(orders)\n",
        _APP.replace("APIRouter()", "APIRouter(prefix='/api')")
        + _SUBSCRIBE.replace("'/orders'}", "'/api/orders'}")
        + _HANDLER
        + "\napp.include_router(orders)\n",
    )
    INVALID = (
        # The router is never included.
        Invalid(_APP + _SUBSCRIBE + _HANDLER, line=8, col=66),
        # Included under a prefix the subscription does not name.
        Invalid(
            _APP + _SUBSCRIBE + _HANDLER + "\napp.include_router(orders, prefix='/api/v1')\n",
            line=8,
            col=66,
        ),
    )
