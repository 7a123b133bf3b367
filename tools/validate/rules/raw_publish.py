from __future__ import annotations

import ast
import re

from tools.validate.context import FileContext
from tools.validate.rules._http import Locals, publish_request
from tools.validate.rules._strings import HOLE, is_harness_path
from tools.validate.rules.base import Invalid, Rule

_BASE = (
    "import os\n\n"
    "import httpx\n\n"
    "DAPR = f\"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}\"\n\n"
)


class RawHttpPublish(Rule):
    id = "DAPR019"
    name = "raw-http-publish"
    message = "an event is published by posting to the sidecar's HTTP publish API by hand"
    why = (
        "A hand-made publish request has to get everything the SDK does right by itself: the "
        "content type (without one Dapr marks the event text/plain), the `dapr-api-token` header "
        "when DAPR_API_TOKEN is set, `metadata.*` query parameters, and the answers (204 on "
        "success, 403/404/500 otherwise) - and it opens an HTTP request beside the gRPC channel "
        "the app already has."
    )
    fix = (
        "Publish through the app's one DaprClient: `await client.publish_event(pubsub, topic, "
        "model.model_dump_json(), data_content_type='application/json')`; failures raise "
        "DaprGrpcError."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(client: DaprClient, body: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', body, "
        "data_content_type='application/json')\n",
        # Other sidecar APIs over HTTP are not publishing.
        _BASE + "async def metadata(http: httpx.AsyncClient) -> dict:\n"
        "    return (await http.get(f'{DAPR}/v1.0/metadata')).json()\n",
    )
    INVALID = (
        Invalid(
            _BASE + "async def publish(http: httpx.AsyncClient, order: dict) -> None:\n"
            "    (await http.post(f'{DAPR}/v1.0/publish/pubsub/orders', json=order))"
            ".raise_for_status()\n",
            line=8,
            col=12,
        ),
        Invalid(
            (
                "import requests\n\n"
                "BASE = 'http://dapr-sidecar'\n\n"
                "def publish(topic: str, order: dict) -> None:\n"
                "    url = BASE + '/v1.0/publish/pubsub/' + topic\n"
                "    requests.post(url, json=order, timeout=5).raise_for_status()\n"
            ),
            line=7,
            col=5,
        ),
        # No pubsub name in the route: a 404 for every event.
        Invalid(
            _BASE + "async def publish(http: httpx.AsyncClient, order: dict) -> None:\n"
            "    (await http.post(f'{DAPR}/v1.0/publish/orders', json=order)).raise_for_status()\n",
            line=8,
            col=12,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)

    def visit_Call(self, node: ast.Call) -> None:
        # Tests and benchmarks post to the sidecar by hand on purpose, to observe it.
        if is_harness_path(self.ctx.path):
            return
        request = publish_request(self.ctx, node, self._locals.of(self.ctx.function))
        if request is not None:
            self.report(node, _NO_PUBSUB if _without_pubsub(request.url) else None)


# The publish route is `/v1.0/publish/<pubsub>/<topic>`; with one segment daprd has no route.
_PUBLISH_TAIL = re.compile(r"/v1\.0(?:-alpha1)?/publish/(?:bulk/)?(?P<tail>[^?#]*)")
_NO_PUBSUB = (
    "this publish URL names a topic but no pubsub component (`/v1.0/publish/<pubsub>/<topic>`): "
    "the sidecar answers 404 to every publish"
)


def _without_pubsub(url: str) -> bool:
    """The URL's fully known tail after `/publish/` is a single segment."""
    match = _PUBLISH_TAIL.search(url)
    if match is None:
        return False
    tail = match["tail"].strip("/")
    return bool(tail) and HOLE not in tail and "/" not in tail
