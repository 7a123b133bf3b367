from __future__ import annotations

import ast
import re

from tools.validate.astutil import FunctionNode, own_nodes, walk
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
    """Only the hand-made publish whose failure raises nowhere: one whose answer is checked and
    fails the caller (`raise_for_status()`, a status test that raises) is a supported way to
    publish, and what may still be wrong with it other rules say where it is (the content type
    DAPR020, success judged by 200 DAPR021, an `except` that only logs DAPR036)."""

    id = "DAPR019"
    name = "raw-http-publish"
    message = (
        "an event is published by posting to the sidecar's HTTP publish API by hand, and a "
        "refused publish raises nowhere"
    )
    why = (
        "A hand-made publish request has to get everything the SDK does right by itself: the "
        "content type (without one Dapr marks the event text/plain), the `dapr-api-token` header "
        "when DAPR_API_TOKEN is set, `metadata.*` query parameters, and the answers (204 on "
        "success, 403/404/500 otherwise) - requests, httpx and aiohttp raise on none of them. "
        "Here no failure raises: the caller goes on as if the event was sent."
    )
    fix = (
        "Publish through the app's one DaprClient: `await client.publish_event(pubsub, topic, "
        "model.model_dump_json(), data_content_type='application/json')`; failures raise "
        "DaprGrpcError. Keeping the HTTP request, call `response.raise_for_status()`."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(client: DaprClient, body: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', body, "
        "data_content_type='application/json')\n",
        # Other sidecar APIs over HTTP are not publishing.
        _BASE + "async def metadata(http: httpx.AsyncClient) -> dict:\n"
        "    return (await http.get(f'{DAPR}/v1.0/metadata')).json()\n",
        # The answer is checked and a refusal raises: the caller hears of it.
        _BASE + "async def publish(http: httpx.AsyncClient, order: dict) -> None:\n"
        "    (await http.post(f'{DAPR}/v1.0/publish/pubsub/orders', json=order))"
        ".raise_for_status()\n",
        _BASE + "async def publish(http: httpx.AsyncClient, order: dict) -> None:\n"
        "    response = await http.post(f'{DAPR}/v1.0/publish/pubsub/orders', json=order)\n"
        "    if not response.is_success:\n"
        "        raise RuntimeError(f'publish refused: {response.status_code}')\n",
    )
    INVALID = (
        # A refusal is only a value handed back, which the caller may well ignore.
        Invalid(
            _BASE + "async def publish(http: httpx.AsyncClient, order: dict) -> bool:\n"
            "    response = await http.post(f'{DAPR}/v1.0/publish/pubsub/orders', json=order)\n"
            "    return response.status_code == 204\n",
            line=8,
            col=22,
        ),
        Invalid(
            (
                "import logging\n\n"
                "import requests\n\n"
                "BASE = 'http://dapr-sidecar'\n\n"
                "def publish(topic: str, order: dict) -> bool:\n"
                "    url = BASE + '/v1.0/publish/pubsub/' + topic\n"
                "    response = requests.post(url, json=order, timeout=5)\n"
                "    if response.status_code != 204:\n"
                "        logging.warning('publish refused: %s', response.status_code)\n"
                "        return False\n"
                "    return True\n"
            ),
            line=9,
            col=16,
        ),
        # No pubsub name in the route: a 404 for every event, checked or not.
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
        self._module: ast.Module | None = None

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)
        self._module = node

    def visit_Call(self, node: ast.Call) -> None:
        # Tests and benchmarks post to the sidecar by hand on purpose, to observe it.
        if is_harness_path(self.ctx.path):
            return
        request = publish_request(self.ctx, node, self._locals.of(self.ctx.function))
        if request is None:
            return
        if _without_pubsub(request.url):
            self.report(node, _NO_PUBSUB)
        elif not _failure_raises(node, self._scope(self.ctx.function)):
            self.report(node)

    def _scope(self, function: FunctionNode | None) -> tuple[ast.AST, ...]:
        """The nodes the response may be read in: the function's own, or the module's."""
        if function is not None:
            return tuple(own_nodes(function))
        return walk(self._module) if self._module is not None else ()


def _failure_raises(call: ast.Call, nodes: tuple[ast.AST, ...]) -> bool:
    """The publish's answer is checked so that a refusal raises: `raise_for_status()` on it, or
    an `if` reading it with a branch that raises (an HTTPException included)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and _unwrap(node.value) is call:
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.With | ast.AsyncWith):
            names |= {
                item.optional_vars.id
                for item in node.items
                if _unwrap(item.context_expr) is call and isinstance(item.optional_vars, ast.Name)
            }

    def is_response(value: ast.expr) -> bool:
        value = _unwrap(value)
        return value is call or (isinstance(value, ast.Name) and value.id in names)

    for node in nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "raise_for_status"
            and is_response(node.func.value)
        ):
            return True
        if (
            isinstance(node, ast.If)
            and names
            and any(isinstance(n, ast.Name) and n.id in names for n in walk(node.test))
            and any(isinstance(s, ast.Raise) for s in (*node.body, *node.orelse))
        ):
            return True
    return False


def _unwrap(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Await) else node


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
