"""DAPR037: another app invoked through the sidecar with `requests` and no timeout.

A service invocation is a request to the sidecar's `/v1.0/invoke/<app>/method/...` route, or any
request carrying the `dapr-app-id` header (the sidecar forwards it to that app). `requests` (its
functions and a `requests.Session`) waits for an answer without limit unless given `timeout=`;
httpx (5 s by default), aiohttp (5 minutes) and the SDK's `invoke_method`
(DAPR_HTTP_TIMEOUT_SECONDS, 60 s) stop on their own, so only `requests` is judged. In an
`async def` a `requests` call is already a blocking call (ASYNC210, DAPR004), whose fix - an async
client - brings a timeout.
"""

from __future__ import annotations

import ast
import re

from tools.validate.astutil import keyword, own_nodes
from tools.validate.context import FileContext
from tools.validate.instances import Instances, instances_of
from tools.validate.rules._http import Locals, http_request
from tools.validate.rules._strings import is_harness_path
from tools.validate.rules.base import Invalid, Rule

_INVOKE_PATH = re.compile(r"/v1\.0/invoke/")
_REQUESTS_FUNCTIONS = frozenset(
    f"requests.{verb}"
    for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request")
)


class InvocationWithoutTimeout(Rule):
    id = "DAPR037"
    name = "invocation-without-timeout"
    message = (
        "another app is invoked with `requests` and no timeout: a hung callee holds it forever"
    )
    why = (
        "`requests` waits for an answer without limit unless it is given `timeout=`, and daprd "
        "sets no deadline of its own on service invocation unless a resiliency policy gives the "
        "target app a timeout. When the callee hangs (a deadlock, a restart in the middle of the "
        "request, a lost connection between sidecars) the call never returns: a web worker is "
        "lost per request, a pub/sub delivery outlives the broker's redelivery window and is "
        "processed twice, and a loop that calls it stops for good."
    )
    fix = (
        "Pass the caller's own bound, `timeout=(3, 10)` (connect, read seconds), and handle "
        "`requests.Timeout`; or invoke through the DaprClient, `invoke_method(app_id, method, "
        "data, http_verb='POST', timeout=10)`; or use httpx, which times out after 5 s by default."
    )
    VALID = (
        "import requests\n\n"
        "def reserve(base: str, order: dict) -> dict:\n"
        "    url = f'{base}/v1.0/invoke/inventory/method/reserve'\n"
        "    response = requests.post(url, json=order, timeout=(3, 10))\n"
        "    response.raise_for_status()\n"
        "    return response.json()\n",
        # A request to the sidecar's own APIs: the sidecar answers it, no other app.
        "import requests\n\n"
        "def metadata(base: str) -> dict:\n"
        "    return requests.get(f'{base}/v1.0/metadata').json()\n",
        # httpx bounds every request (5 s) unless told otherwise.
        "import httpx\n\n"
        "def reserve(base: str, order: dict) -> dict:\n"
        "    headers = {'dapr-app-id': 'inventory'}\n"
        "    return httpx.post(f'{base}/reserve', json=order, headers=headers).json()\n",
    )
    INVALID = (
        Invalid(
            (
                "import requests\n\n"
                "def reserve(base: str, order: dict) -> dict:\n"
                "    url = f'{base}/v1.0/invoke/inventory/method/reserve'\n"
                "    return requests.post(url, json=order).json()\n"
            ),
            line=5,
            col=12,
        ),
        # The `dapr-app-id` header makes any request to the sidecar an invocation.
        Invalid(
            (
                "import os\n\nimport requests\n\n"
                "SIDECAR = f\"http://localhost:{os.environ['DAPR_HTTP_PORT']}\"\n"
                "HEADERS = {'dapr-app-id': 'inventory', 'content-type': 'application/json'}\n\n"
                "def reserve(body: str) -> None:\n"
                "    requests.post(f'{SIDECAR}/reserve', data=body, headers=HEADERS)\n"
            ),
            line=9,
            col=5,
        ),
        Invalid(
            (
                "import requests\n\n"
                "session = requests.Session()\n\n"
                "def stock(base: str, sku: str) -> dict:\n"
                "    url = f'{base}/v1.0/invoke/inventory/method/stock/{sku}'\n"
                "    return session.get(url).json()\n"
            ),
            line=7,
            col=12,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()
        self._instances: Instances | None = None
        # Tests and benchmarks drive the sidecar by hand, with their own limits on the whole run.
        self._enabled = not is_harness_path(ctx.path)

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)
        self._instances = instances_of(self.ctx, node)

    def visit_Call(self, node: ast.Call) -> None:
        function = self.ctx.function
        if not self._enabled or isinstance(function, ast.AsyncFunctionDef):
            return
        if any(kw.arg in ("timeout", None) for kw in node.keywords) or not self._by_requests(node):
            return
        local = self._locals.of(function)
        if self._names_app(keyword(node, "headers"), local) or self._invoke_url(node, local):
            self.report(node)

    def _by_requests(self, call: ast.Call) -> bool:
        """`requests.post(...)` and the like, or a method of a `requests.Session`."""
        if self.ctx.qualname(call.func) in _REQUESTS_FUNCTIONS:
            return True
        if self._instances is None or not isinstance(call.func, ast.Attribute):
            return False
        bindings = self._instances.at(self.ctx.function)
        return self._instances.kind_of(call.func.value, bindings) == "requests-session"

    def _invoke_url(self, call: ast.Call, local: dict[str, ast.expr]) -> bool:
        request = http_request(self.ctx, call, local)
        return request is not None and _INVOKE_PATH.search(request.url) is not None

    def _names_app(self, headers: ast.expr | None, local: dict[str, ast.expr]) -> bool:
        """The headers name the app to invoke (`dapr-app-id`): the sidecar forwards the request."""
        if not isinstance(headers, ast.Name):
            return _names_app(headers)
        if headers.id in local:  # `headers=HEADERS`: the dict the name holds
            return _names_app(local[headers.id])
        # A name the function sets again before each call: every value it is given names an app.
        function = self.ctx.function
        values = [
            node.value
            for node in (own_nodes(function) if function is not None else ())
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == headers.id for t in node.targets)
        ]
        return bool(values) and all(_names_app(value) for value in values)


def _names_app(headers: ast.expr | None) -> bool:
    """A dict display with a `dapr-app-id` key (any case)."""
    return isinstance(headers, ast.Dict) and any(
        isinstance(key, ast.Constant) and str(key.value).lower() == "dapr-app-id"
        for key in headers.keys
    )
