"""DAPR008: a DaprClient (or an HTTP client session) built for each request or message.

A function runs per request when it is a route, subscription or job handler, a FastAPI dependency,
a dapr.ext.grpc App callback, or a function of this file one of those calls (directly or through
other such functions). One-shot scripts, lifespans and startup hooks are none of these. A helper
that keeps what it built (on an attribute, in a global, under `functools.cache`) builds it once.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.context import FileContext
from tools.validate.rules._reach import decorator_target, per_request
from tools.validate.rules.base import Invalid, Rule

DAPR_CLIENTS = frozenset(
    {
        "dapr.aio.clients.DaprClient",
        "dapr.aio.clients.grpc.client.DaprGrpcClientAsync",
        "dapr.clients.DaprClient",
        "dapr.clients.DaprGrpcClient",
        "dapr.clients.grpc.client.DaprGrpcClient",
    }
)
# Connection pools meant to be shared: their own docs say not to open one per request.
HTTP_CLIENTS = {
    "httpx.AsyncClient": "httpx.AsyncClient",
    "aiohttp.ClientSession": "aiohttp.ClientSession",
    "aiohttp.client.ClientSession": "aiohttp.ClientSession",
}
_CACHES = frozenset(
    {"functools.cache", "functools.lru_cache", "functools.cached_property", "async_lru.alru_cache"}
)


class ClientPerRequest(Rule):
    id = "DAPR008"
    name = "client-per-request"
    message = "a client is created per request instead of once in the app lifespan"
    why = (
        "Constructing a DaprClient probes the sidecar's health over HTTP and opens a new gRPC "
        "channel; doing it per request (in the handler or in a helper the handler calls) adds a "
        "round-trip to every call and, if the sidecar is down, blocks the event loop for up to "
        "DAPR_HEALTH_TIMEOUT seconds. An `httpx.AsyncClient` or `aiohttp.ClientSession` per "
        "request opens a new connection pool each time and reuses no connection."
    )
    fix = (
        "Create one client in the FastAPI lifespan (after `await DaprHealth.wait_for_sidecar()`), "
        "keep it on `app.state`, and close it on shutdown; handlers and their helpers read it from "
        "`request.app.state` or receive it as an argument."
    )
    VALID = (
        "from contextlib import asynccontextmanager\n"
        "from dapr.aio.clients import DaprClient\n"
        "from dapr.aio.clients.health import DaprHealth\n"
        "from fastapi import FastAPI, Request\n\n"
        "@asynccontextmanager\n"
        "async def lifespan(app: FastAPI):\n"
        "    await DaprHealth.wait_for_sidecar()\n"
        "    async with DaprClient() as client:\n"
        "        app.state.dapr = client\n"
        "        yield\n\n"
        "app = FastAPI(lifespan=lifespan)\n\n"
        "@app.post('/orders')\n"
        "async def create(request: Request) -> dict:\n"
        "    await request.app.state.dapr.save_state('statestore', 'k', 'v')\n"
        "    return {}\n",
        # A one-shot script: nothing runs per request.
        "import asyncio\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "async def seed(client: DaprClient) -> None:\n"
        "    await client.save_state('statestore', 'k', 'v')\n\n"
        "async def main() -> None:\n"
        "    async with DaprClient() as client:\n"
        "        await seed(client)\n\n"
        "asyncio.run(main())\n",
        # A helper that builds the client once and keeps it.
        "from dapr.aio.clients import DaprClient\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n"
        "_client: DaprClient | None = None\n\n"
        "def client() -> DaprClient:\n"
        "    global _client\n"
        "    if _client is None:\n"
        "        _client = DaprClient()\n"
        "    return _client\n\n"
        "@app.post('/orders')\n"
        "async def create() -> dict:\n"
        "    await client().save_state('statestore', 'k', 'v')\n"
        "    return {}\n",
        # A helper that a background task calls, not a handler.
        "import httpx\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "async def probe(url: str) -> bool:\n"
        "    async with httpx.AsyncClient(timeout=2.0) as http:\n"
        "        return (await http.get(url)).is_success\n\n"
        "@app.on_event('startup')\n"
        "async def startup() -> None:\n"
        "    await probe('http://127.0.0.1:8080/healthz')\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n"
                "from fastapi import FastAPI\n\n"
                "app = FastAPI()\n\n"
                "@app.post('/orders')\n"
                "async def create() -> dict:\n"
                "    async with DaprClient() as client:\n"
                "        await client.save_state('statestore', 'k', 'v')\n"
                "    return {}\n"
            ),
            line=8,
            col=16,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient as Dapr\n"
                "from fastapi import Depends, FastAPI\n\n"
                "app = FastAPI()\n\n"
                "async def get_client():\n"
                "    async with Dapr() as client:\n"
                "        yield client\n\n"
                "@app.get('/orders')\n"
                "async def orders(client=Depends(get_client)) -> dict:\n"
                "    return {}\n"
            ),
            line=7,
            col=16,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n"
                "from dapr.aio.clients.health import DaprHealth\n"
                "from fastapi import FastAPI\n"
                "from pydantic import BaseModel\n\n"
                "class Order(BaseModel):\n"
                "    id: str\n\n"
                "app = FastAPI()\n\n"
                "async def store(order: Order) -> None:\n"
                "    await DaprHealth.wait_for_sidecar()\n"
                "    async with DaprClient() as client:\n"
                "        await client.save_state('statestore', order.id, 'paid')\n\n"
                "async def handle(order: Order) -> None:\n"
                "    await store(order)\n\n"
                "@app.post('/orders')\n"
                "async def create(order: Order) -> dict:\n"
                "    await handle(order)\n"
                "    return {}\n"
            ),
            line=13,
            col=16,
        ),
        Invalid(
            (
                "import httpx\n"
                "from fastapi import FastAPI\n\n"
                "app = FastAPI()\n\n"
                "@app.get('/rates')\n"
                "async def rates() -> dict:\n"
                "    async with httpx.AsyncClient() as http:\n"
                "        return (await http.get('https://rates.example/today')).json()\n"
            ),
            line=8,
            col=16,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._constructions: list[tuple[ast.Call, str, tuple[FunctionNode, ...]]] = []
        self._dependencies: set[str] = set()
        self._module: ast.Module | None = None

    def visit_Module(self, node: ast.Module) -> None:
        self._module = node

    def visit_Call(self, node: ast.Call) -> None:
        qualname = self.ctx.qualname(node.func) or ""
        if qualname in DAPR_CLIENTS and self.ctx.functions:
            self._constructions.append((node, "DaprClient", tuple(self.ctx.functions)))
        elif qualname in HTTP_CLIENTS and self.ctx.functions:
            self._constructions.append((node, HTTP_CLIENTS[qualname], tuple(self.ctx.functions)))
        elif qualname in ("fastapi.Depends", "fastapi.params.Depends"):
            target = node.args[0] if node.args else None
            if isinstance(target, ast.Name):
                self._dependencies.add(target.id)

    def finish(self) -> None:
        if self._module is None or not self._constructions:
            return
        callers = per_request(self.ctx, self._module, self._dependencies)
        for call, what, enclosing in self._constructions:
            if self._kept(call, enclosing[-1]):
                continue
            for function in enclosing:
                reason = callers.get(id(function))
                if reason is not None:
                    self.report(
                        call,
                        f"{what} created inside {reason}: one per request",
                        within=enclosing[-1],
                    )
                    break

    def _kept(self, call: ast.Call, function: FunctionNode) -> bool:
        """The function stores what it built for later calls, so it builds it once."""
        if any(self.ctx.qualname(decorator_target(d)) in _CACHES for d in function.decorator_list):
            return True
        shared = {
            name
            for node in own_nodes(function)
            if isinstance(node, ast.Global | ast.Nonlocal)
            for name in node.names
        }
        for node in own_nodes(function):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is call:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(
                    isinstance(t, ast.Attribute | ast.Subscript)
                    or (isinstance(t, ast.Name) and t.id in shared)
                    for t in targets
                ):
                    return True
        return False
