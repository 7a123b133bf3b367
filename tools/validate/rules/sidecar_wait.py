from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode
from tools.validate.context import FileContext
from tools.validate.rules.base import Invalid, Rule
from tools.validate.rules.sync_client import one_shot_script

# The synchronous client in async code is DAPR001's finding already.
ASYNC_CLIENTS = frozenset(
    {"dapr.aio.clients.DaprClient", "dapr.aio.clients.grpc.client.DaprGrpcClientAsync"}
)


class ClientBlocksOnSidecar(Rule):
    id = "DAPR015"
    name = "client-blocks-on-sidecar"
    message = "DaprClient() is created in async code before the sidecar is known to be up"
    why = (
        "Every DaprClient constructor, the async one included, waits for the sidecar with a "
        "synchronous HTTP probe and `time.sleep`. Called inside the event loop while daprd is "
        "still starting (or away), it freezes the whole service for up to DAPR_HEALTH_TIMEOUT (60 "
        "s) and then raises."
    )
    fix = (
        "Await `dapr.aio.clients.health.DaprHealth.wait_for_sidecar()` first (non-blocking), then "
        "create the client - ideally in a background task started from the lifespan, serving 503 "
        "until ready."
    )
    VALID = (
        "from contextlib import asynccontextmanager\n"
        "from dapr.aio.clients import DaprClient\n"
        "from dapr.aio.clients.health import DaprHealth\n\n"
        "@asynccontextmanager\n"
        "async def lifespan(app):\n"
        "    await DaprHealth.wait_for_sidecar()\n"
        "    async with DaprClient() as client:\n"
        "        app.state.dapr = client\n"
        "        yield\n",
        # The wait lives in a helper the lifespan awaits first.
        "from contextlib import asynccontextmanager\n"
        "from dapr.aio.clients import DaprClient\n"
        "from dapr.aio.clients.health import DaprHealth\n\n"
        "@asynccontextmanager\n"
        "async def lifespan(app):\n"
        "    await sidecar_ready()\n"
        "    async with DaprClient() as client:\n"
        "        app.state.dapr = client\n"
        "        yield\n\n"
        "async def sidecar_ready() -> None:\n"
        "    await DaprHealth.wait_for_sidecar()\n",
        "from dapr.aio.clients import DaprClient\n\ndef make_client() -> DaprClient:\n"
        "    return DaprClient()  # synchronous code: called before the loop runs\n",
        # A one-shot script: nothing else on its loop waits while the constructor probes.
        "import asyncio\nfrom dapr.aio.clients import DaprClient\n\n"
        "async def main() -> None:\n"
        "    async with DaprClient() as client:\n"
        "        await client.publish_event('pubsub', 'orders', '{}', "
        "data_content_type='application/json')\n\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n",
    )
    INVALID = (
        Invalid(
            (
                "from contextlib import asynccontextmanager\n"
                "from dapr.aio.clients import DaprClient\n\n"
                "@asynccontextmanager\nasync def lifespan(app):\n"
                "    async with DaprClient() as client:\n"
                "        app.state.dapr = client\n        yield\n"
            ),
            line=6,
            col=16,
        ),
        # Run as a program, but it serves an app: other requests wait on the loop.
        Invalid(
            (
                "from contextlib import asynccontextmanager\n"
                "import uvicorn\n"
                "from dapr.aio.clients import DaprClient\n"
                "from fastapi import FastAPI\n\n"
                "@asynccontextmanager\nasync def lifespan(app: FastAPI):\n"
                "    async with DaprClient() as client:\n"
                "        app.state.dapr = client\n        yield\n\n"
                "app = FastAPI(lifespan=lifespan)\n\n"
                "if __name__ == '__main__':\n"
                "    uvicorn.run(app)\n"
            ),
            line=8,
            col=16,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._waited: set[int] = set()  # ids of functions that awaited the async health check
        self._waiting_names: set[str] = set()  # ... and their names, for the helpers' callers
        self._called: dict[int, set[str]] = {}  # per function: the names it called so far
        # A construction, its function, and the functions called before it there.
        self._constructions: list[tuple[ast.Call, FunctionNode, frozenset[str]]] = []
        self._dependencies: set[str] = set()

    def visit_Call(self, node: ast.Call) -> None:
        function = self.ctx.function
        func = node.func
        if function is not None and isinstance(func, ast.Name):
            self._called.setdefault(id(function), set()).add(func.id)
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "wait_for_sidecar"
            and function is not None
        ):
            self._waited.add(id(function))
            self._waiting_names.add(function.name)
        elif self.ctx.qualname(func) in ("fastapi.Depends", "fastapi.params.Depends"):
            if node.args and isinstance(node.args[0], ast.Name):
                self._dependencies.add(node.args[0].id)
        elif (
            isinstance(function, ast.AsyncFunctionDef)
            and self.ctx.qualname(func) in ASYNC_CLIENTS
            and id(function) not in self._waited
        ):
            earlier = frozenset(self._called.get(id(function), ()))
            self._constructions.append((node, function, earlier))

    def finish(self, module: ast.Module) -> None:
        # A one-shot script (`asyncio.run(main())`, no app) has nothing else on its loop to freeze.
        if one_shot_script(self.ctx, module):
            return
        # Per-request construction is DAPR008's finding; this rule is about startup code.
        per_request = {id(f) for f in self.ctx.request_handlers()}
        for call, function, earlier in self._constructions:
            if earlier & self._waiting_names:
                continue  # it awaited a helper of the file that waits for the sidecar
            if id(function) not in per_request and function.name not in self._dependencies:
                self.report(call, within=function)
