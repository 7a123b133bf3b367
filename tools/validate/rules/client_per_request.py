from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode
from tools.validate.context import FileContext
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


class ClientPerRequest(Rule):
    id = "DAPR008"
    name = "client-per-request"
    message = "a DaprClient is created per request instead of once in the app lifespan"
    why = (
        "Constructing a DaprClient probes the sidecar's health over HTTP and opens a new gRPC "
        "channel; doing it per request adds a round-trip to every call and, if the sidecar is "
        "down, blocks the event loop for up to DAPR_HEALTH_TIMEOUT seconds."
    )
    fix = (
        "Create one client in the FastAPI lifespan (after `await DaprHealth.wait_for_sidecar()`), "
        "keep it on `app.state`, and close it on shutdown; handlers read it from "
        "`request.app.state`."
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
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._constructions: list[tuple[ast.Call, tuple[FunctionNode, ...]]] = []
        self._dependencies: set[str] = set()

    def visit_Call(self, node: ast.Call) -> None:
        if self.ctx.qualname(node.func) in DAPR_CLIENTS and self.ctx.functions:
            self._constructions.append((node, tuple(self.ctx.functions)))
        elif self.ctx.qualname(node.func) in ("fastapi.Depends", "fastapi.params.Depends"):
            target = node.args[0] if node.args else None
            if isinstance(target, ast.Name):
                self._dependencies.add(target.id)

    def finish(self) -> None:
        per_request = {id(f) for f in self.ctx.request_handlers()}
        for call, enclosing in self._constructions:
            for function in enclosing:
                if id(function) in per_request or function.name in self._dependencies:
                    kind = "dependency" if function.name in self._dependencies else "handler"
                    self.report(
                        call,
                        f"DaprClient created inside the request {kind} `{function.name}`",
                        within=enclosing[-1],
                    )
                    break
