"""DAPR056: a request to a route of the sidecar's HTTP API that Dapr does not have.

daprd answers 404 to a path it does not serve, and code that does not read that answer as a
failure goes on as if the call had worked (`/v1.0/health` for `/v1.0/healthz`: the sidecar is
always "down"; `/v1.0/subscribe`: nothing is subscribed). Only requests the file shows going to
a local sidecar are judged (`localhost`, `127.0.0.1` or a host only known at run time), with a
Dapr API version as the path's first segment; `/v1.0/reminders` is DAPR025's.
"""

from __future__ import annotations

import ast
import re

from tools.validate.context import FileContext
from tools.validate.rules._http import Locals, http_request
from tools.validate.rules._strings import HOLE
from tools.validate.rules.base import Invalid, Rule

# daprd 1.18's HTTP API: the first path segment each version serves.
ROUTES = {
    "v1.0": frozenset(
        {
            "state",
            "publish",
            "bindings",
            "invoke",
            "secrets",
            "actors",
            "metadata",
            "healthz",
            "shutdown",
            "configuration",
            "jobs",
            "workflows",
        }
    ),
    "v1.0-alpha1": frozenset(
        {
            "state",
            "publish",
            "jobs",
            "lock",
            "unlock",
            "crypto",
            "configuration",
            "conversation",
            "workflows",
        }
    ),
    "v1.0-alpha2": frozenset({"conversation"}),
    "v1.0-beta1": frozenset({"workflows"}),
}
# scheme, a local (or run-time) host with an optional port, the API version and its first segment.
_SIDECAR_URL = re.compile(
    rf"^(?:https?://)?(?:localhost|127\.0\.0\.1|0\.0\.0\.0|{HOLE})(?::[^/]*)?"
    rf"/(?P<version>v1\.0(?:-alpha1|-alpha2|-beta1)?)/(?P<segment>[A-Za-z_-]+)"
)


class UnknownSidecarRoute(Rule):
    id = "DAPR056"
    name = "unknown-sidecar-route"
    message = "a request to a sidecar route that Dapr does not have"
    why = (
        "daprd serves a fixed set of routes under each API version (`/v1.0/state`, `/publish`, "
        "`/invoke`, `/bindings`, `/secrets`, `/actors`, `/metadata`, `/healthz`, `/jobs`, ...). "
        "Any other path is answered 404: a health check of `/v1.0/health` always finds the "
        "sidecar down, a call to `/v1.0/subscribe` subscribes nothing, and code that reads only "
        "some answers as failures carries on as if the call had worked."
    )
    fix = (
        "Use the route Dapr has (the health check is `GET /v1.0/healthz`, outbound readiness "
        "`/v1.0/healthz/outbound`; subscriptions are declared by `GET /dapr/subscribe` on the "
        "app or a Subscription manifest) - or the SDK's DaprClient, which only calls what exists."
    )
    VALID = (
        "import httpx\n\n"
        "async def sidecar_ready(http: httpx.AsyncClient, port: int) -> bool:\n"
        "    response = await http.get(f'http://localhost:{port}/v1.0/healthz/outbound')\n"
        "    return response.status_code == 204\n",
        # Another service's API: not the sidecar.
        "import httpx\n\n"
        "async def users(http: httpx.AsyncClient) -> bytes:\n"
        "    return (await http.get('https://api.example.com/v1.0/users')).content\n",
    )
    INVALID = (
        Invalid(
            (
                "import httpx\n\n"
                "async def dapr_connected(http: httpx.AsyncClient, port: int) -> bool:\n"
                "    response = await http.get(f'http://localhost:{port}/v1.0/health')\n"
                "    return response.status_code == 200\n"
            ),
            line=4,
            col=22,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)

    def visit_Call(self, node: ast.Call) -> None:
        request = http_request(self.ctx, node, self._locals.of(self.ctx.function))
        if request is None:
            return
        match = _SIDECAR_URL.match(request.url)
        if match is None or match["segment"] == "reminders":
            return
        if match["segment"] not in ROUTES[match["version"]]:
            self.report(node, f"daprd has no route /{match['version']}/{match['segment']}: 404")
