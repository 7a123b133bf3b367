from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.context import FileContext
from tools.validate.rules._http import (
    Locals,
    is_request,
    publish_request,
    response_names,
    state_write_request,
    status_codes,
)
from tools.validate.rules.base import Invalid, Rule

_STATUS_ATTRIBUTES = frozenset({"status_code", "status"})  # requests/httpx, aiohttp
_OK, _NO_CONTENT = 200, 204


class PublishStatus(Rule):
    id = "DAPR021"
    name = "publish-status-200"
    message = "publish success is judged by HTTP 200, but the sidecar answers 204"
    why = (
        "Dapr's publish API answers 204 No Content when the event is accepted (400, 403, 404 "
        "and 500 otherwise), and so do a state save (`POST /v1.0/state/<store>`) and a state "
        "delete. Code that waits for 200 treats every successful write as a failure - it "
        "retries, duplicates the event or fails the request - and never notices the real "
        "errors it was meant to catch."
    )
    fix = (
        "Check `response.is_success` / `response.ok` or call `response.raise_for_status()` - "
        "or use the SDK's `publish_event` / `save_state`, which raise on failure."
    )
    VALID = (
        "import httpx\n\n"
        "async def publish(http: httpx.AsyncClient, url: str, order: dict) -> None:\n"
        "    response = await http.post(url + '/v1.0/publish/pubsub/orders', json=order)  "
        "# noqa: DAPR019\n"
        "    response.raise_for_status()\n",
        # 200 from an API that does answer 200.
        "import httpx\n\n"
        "async def metadata(http: httpx.AsyncClient, url: str) -> dict:\n"
        "    response = await http.get(url + '/v1.0/metadata')\n"
        "    return response.json() if response.status_code == 200 else {}\n",
        # A state read answers 200 with the value (204 when the key is missing): 200 is right.
        "import requests\n\n"
        "STATE = 'http://127.0.0.1:3500/v1.0/state/statestore'  # noqa: DAPR013\n\n"
        "def load(key: str) -> dict | None:\n"
        "    response = requests.get(f'{STATE}/{key}')\n"
        "    return response.json() if response.status_code == 200 else None\n",
    )
    INVALID = (
        Invalid(
            (
                "import httpx\n\n"
                "async def publish(http: httpx.AsyncClient, url: str, order: dict) -> bool:\n"
                "    response = await http.post(url + '/v1.0/publish/pubsub/orders', json=order)  "
                "# noqa: DAPR019\n"
                "    return response.status_code == 200\n"
            ),
            line=5,
            col=12,
        ),
        # A state save answers 204 too.
        Invalid(
            (
                "import requests\n\n"
                "STATE = 'http://127.0.0.1:3500/v1.0/state/statestore'  # noqa: DAPR013\n\n"
                "def save(key: str, value: dict) -> None:\n"
                "    response = requests.post(STATE, json=[{'key': key, 'value': value}])\n"
                "    if response.status_code != 200:\n"
                "        raise RuntimeError(response.text)\n"
            ),
            line=7,
            col=8,
        ),
        Invalid(
            (
                "import aiohttp\n\n"
                "async def publish(http: aiohttp.ClientSession, url: str, order: dict) -> None:\n"
                "    async with http.post(f'{url}/v1.0/publish/pubsub/orders', json=order) as r:  "
                "# noqa: DAPR019\n"
                "        if r.status != 200:\n"
                "            raise RuntimeError(await r.text())\n"
            ),
            line=5,
            col=12,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)

    def visit_FunctionDef(self, node: FunctionNode) -> None:
        self._check(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check(node)

    def _check(self, function: FunctionNode) -> None:
        local = self._locals.of(function)
        for kind, writes in (
            (self.message, publish_request),
            (_STATE_MESSAGE, state_write_request),
        ):
            requests = {
                id(n)
                for n in own_nodes(function)
                if isinstance(n, ast.Call) and writes(self.ctx, n, local) is not None
            }
            if not requests:
                continue
            responses = set(response_names(function, requests))
            for node in own_nodes(function):
                if isinstance(node, ast.Compare) and _judges_by_200(node, responses, requests):
                    self.report(node, kind, within=function)


_STATE_MESSAGE = "a state write's success is judged by HTTP 200, but the sidecar answers 204"


def _judges_by_200(compare: ast.Compare, responses: set[str], requests: set[int]) -> bool:
    left = compare.left
    if not (isinstance(left, ast.Attribute) and left.attr in _STATUS_ATTRIBUTES):
        return False
    owner = left.value
    if not ((isinstance(owner, ast.Name) and owner.id in responses) or is_request(owner, requests)):
        return False
    for op, right in zip(compare.ops, compare.comparators, strict=True):
        accepted = status_codes(right)
        if isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) and (
            _OK in accepted and _NO_CONTENT not in accepted
        ):
            return True
    return False
