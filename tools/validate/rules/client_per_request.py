"""DAPR008: a client (Dapr or HTTP) built for each request, message or operation.

A client belongs to the process. A function runs per event when it is a route, subscription or
job handler, a FastAPI dependency, a dapr.ext.grpc App callback, a workflow activity or an agent
tool, or a function of this file one of those calls (directly or through other such functions).
Other files call a class's methods and a module's functions once per use: a method the class's
own methods do not call, a function of a module serving an app, one another function of the
module calls, or one named as an event handler. A construction in a loop runs once per pass.
`main`, lifespans, startup hooks and what module-level code runs (and what they call) run once,
but for what a `while` or `async for` loop calls in its body: a consumer started at startup
calls it once per message.
A function that keeps what it built (on an attribute, in a global, under `functools.cache`)
builds it once; one that returns it is a factory, judged where it is called; one whose client
serves a `while` or `async for` loop is a long-running worker. Test files are left alone.
A client kept on an instance (built in `__init__` or lazily) is one per instance: where a route
or dependency builds the instance per request, in this file or another, it is one per request
(tools/validate/kept_clients.py joins the two ends). So is a project class whose construction
builds a client, directly or through another such class, built by a handler, activity or tool,
or by a function one of those calls in any module: reported where it is built. A client built
in a function this file shows running neither once nor per event is left to that join too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tools.validate.astutil import FunctionNode, argument, nodes_of, own_nodes, walk
from tools.validate.context import FileContext
from tools.validate.rules._reach import (
    CallGraph,
    Reached,
    call_graph,
    decorator_target,
    per_request,
)
from tools.validate.rules._strings import is_harness_path
from tools.validate.rules.base import Invalid, Rule

_DAPR = "DaprClient"
_WORKFLOW = "DaprWorkflowClient"
# Constructor -> the name findings use for it.
CLIENTS = {
    "dapr.aio.clients.DaprClient": _DAPR,
    "dapr.aio.clients.grpc.client.DaprGrpcClientAsync": _DAPR,
    "dapr.clients.DaprClient": _DAPR,
    "dapr.clients.DaprGrpcClient": _DAPR,
    "dapr.clients.grpc.client.DaprGrpcClient": _DAPR,
    "dapr.ext.workflow.DaprWorkflowClient": _WORKFLOW,
    "dapr.ext.workflow.dapr_workflow_client.DaprWorkflowClient": _WORKFLOW,
    "dapr.ext.workflow.aio.DaprWorkflowClient": _WORKFLOW,
    "dapr.ext.workflow.aio.dapr_workflow_client.DaprWorkflowClient": _WORKFLOW,
    # Connection pools meant to be shared: their own docs say not to open one per request.
    "httpx.AsyncClient": "httpx.AsyncClient",
    "httpx.Client": "httpx.Client",
    "aiohttp.ClientSession": "aiohttp.ClientSession",
    "aiohttp.client.ClientSession": "aiohttp.ClientSession",
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
}
# What one construction costs (dapr/clients/grpc/client.py, dapr/clients/health.py,
# dapr/ext/workflow/dapr_workflow_client.py).
_COSTS = {
    _DAPR: (
        "each blocks on a health probe of the sidecar (up to DAPR_HEALTH_TIMEOUT while it is "
        "down) and opens a new gRPC channel"
    ),
    _WORKFLOW: "each opens a new gRPC channel to the sidecar that nothing closes",
}
_POOL_COST = "each opens a new connection pool and reuses no connection"
_CACHES = frozenset(
    {"functools.cache", "functools.lru_cache", "functools.cached_property", "async_lru.alru_cache"}
)
_WORKFLOW_RUNTIMES = frozenset(
    {"dapr.ext.workflow.WorkflowRuntime", "dapr.ext.workflow.workflow_runtime.WorkflowRuntime"}
)
_ACTIVITY_CONTEXTS = frozenset(
    {
        "dapr.ext.workflow.WorkflowActivityContext",
        "dapr.ext.workflow.workflow_activity_context.WorkflowActivityContext",
    }
)
# Calls that name a workflow activity: `ctx.call_activity(notify, ...)`, `wfr.register_activity(f)`.
ACTIVITY_CALLS = {"call_activity": "activity", "register_activity": "fn"}
# Functions and methods that run once per process (or per worker start), and what they call.
_ONCE_NAMES = frozenset(
    {
        "main",
        "run",
        "start",
        "stop",
        "serve",
        "setup",
        "teardown",
        "init",
        "initialize",
        "bootstrap",
        "connect",
        "close",
        "open",
        "_on_activate",
        "_on_deactivate",
    }
)
_ONCE_WORDS = ("lifespan", "startup", "shutdown")
_ONCE_PREFIXES = ("init_", "setup_", "bootstrap", "seed_", "wait_for_")
_ONCE_DECORATORS = frozenset(
    {"on_event", "before_serving", "after_serving", "before_first_request", "on_startup"}
)
# How event handlers are named when a framework in another file registers them, and how the
# functions are named that other files call once per operation (`publish_task_event(task)`).
_HANDLER_NAMES = ("handle", "on_")
_OPERATION_NAMES = (
    "publish",
    "send",
    "emit",
    "notify",
    "schedule",
    "cancel",
    "invoke",
    "trigger",
)


# Openings the wrapper examples share: a class keeping a DaprClient with the workflow runtime,
# and an httpx.Client wrapper that another class builds unless it is handed one.
_STATE_STORE = (
    "import dapr.ext.workflow as wf\n"
    "from dapr.clients import DaprClient\n\n"
    "wfr = wf.WorkflowRuntime()\n\n"
    "class StateStore:\n"
    "    def __init__(self) -> None:\n"
    "        self.client = DaprClient()\n\n"
    "    def set(self, key: str, value: str) -> None:\n"
    "        self.client.save_state('statestore', key, value)\n\n"
)
_HTTP_CLIENT = (
    "import httpx\n"
    "from dapr.ext.workflow import WorkflowRuntime\n\n"
    "class HttpClient:\n"
    "    def __init__(self, timeout: float = 30.0) -> None:\n"
    "        self._client = httpx.Client(timeout=timeout)\n\n"
    "    def post(self, url: str, body: dict) -> httpx.Response:\n"
    "        return self._client.post(url, json=body)\n\n"
    "class Webhook:\n"
    "    def __init__(self, http: HttpClient | None = None) -> None:\n"
    "        self.http = http or HttpClient()\n\n"
)

# The module attribute under which the rule leaves the constructions it could not judge from
# this file alone: in a function that nothing here shows running per event, yet one another
# module's handler or activity may call (tools/validate/kept_clients.py follows those calls).
UNJUDGED = "_daprdev_unjudged_clients"

# A consumer loop that a startup hook starts, answering each queued message.
_CONSUMER = (
    "import asyncio\n\n"
    "import httpx\n"
    "from fastapi import FastAPI\n\n"
    "ANSWERS = 'http://answers.internal/v1/answers'\n"
    "app = FastAPI()\n"
    "queue: asyncio.Queue[dict] = asyncio.Queue()\n\n"
    "@app.on_event('startup')\n"
    "async def startup() -> None:\n"
    "    app.state.consumer = asyncio.create_task(consume())\n\n"
)


class ClientPerRequest(Rule):
    id = "DAPR008"
    name = "client-per-request"
    message = "a client is created per request instead of once for the process"
    why = (
        "A client belongs to the process, not to each call. Every DaprClient construction (sync "
        "or aio) probes the sidecar's /v1.0/healthz/outbound over HTTP, blocking for up to "
        "DAPR_HEALTH_TIMEOUT (60 s) while the sidecar is down, and opens a new gRPC channel; a "
        "DaprWorkflowClient opens a gRPC channel that nothing closes. Built in a handler, a "
        "workflow activity, a tool or method called per operation, a helper those call, or a "
        "loop, every request pays a round trip and a sidecar outage hangs each one instead of "
        "failing fast. An httpx, aiohttp or requests session per call opens a new connection "
        "pool and reuses no connection. The same holds for a class of the project that builds "
        "one of them in its `__init__` (a `StateStore` wrapping a DaprClient, an `HttpClient` "
        "wrapping an httpx.Client) when it is built per call."
    )
    fix = (
        "Create the client once: at module level, in the FastAPI lifespan (after `await "
        "DaprHealth.wait_for_sidecar()`, kept on `app.state` and closed on shutdown), in the "
        "class's `__init__`, or in a cached dependency or factory (`@functools.cache`). Handlers, "
        "activities and helpers use that one client or receive it as an argument; a wrapper "
        "class is built once the same way, or handed the process's client."
    )
    VALID = (
        # A probe handed on as a callback: how often it runs is for its caller to say.
        "from collections.abc import Awaitable, Callable\n\nimport httpx\n\n"
        "async def probe(url: str) -> None:\n"
        "    async with httpx.AsyncClient(timeout=2.0) as http:\n"
        "        (await http.get(url)).raise_for_status()\n\n"
        "class Watcher:\n"
        "    def __init__(self, check: Callable[[str], Awaitable[None]] = probe) -> None:\n"
        "        self.check = check\n",
        # Built only to be closed again: no connection is ever opened.
        "import httpx\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n"
        "@app.post('/reset')\n"
        "async def reset() -> dict:\n"
        "    await httpx.AsyncClient().aclose()\n"
        "    return {'ok': True}\n",
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
        # A class that builds its client once, in `__init__`, and uses it in every method.
        "from dapr.clients import DaprClient\n\n"
        "class Inventory:\n"
        "    def __init__(self) -> None:\n"
        "        self._dapr = DaprClient()\n\n"
        "    def reserve(self, sku: str) -> None:\n"
        "        self._dapr.save_state('statestore', sku, 'reserved')\n",
        # A one-shot program: `main` and what it calls run once.
        "from dapr.clients import DaprClient\n\n"
        "def seed(client: DaprClient) -> None:\n"
        "    for sku in ('a', 'b'):\n"
        "        client.save_state('statestore', sku, '0')\n\n"
        "def main() -> None:\n"
        "    with DaprClient() as client:\n"
        "        seed(client)\n\n"
        "if __name__ == '__main__':\n"
        "    main()\n",
        # A cached factory: the one client every caller shares.
        "from functools import cache\n\n"
        "from dapr.clients import DaprClient\n\n"
        "@cache\n"
        "def dapr() -> DaprClient:\n"
        "    return DaprClient()\n\n"
        "def reserve(sku: str) -> None:\n"
        "    dapr().save_state('statestore', sku, 'reserved')\n",
        # A class keeping its client, built once for the process and shared by the routes.
        "from dapr.aio.clients import DaprClient\n"
        "from fastapi import FastAPI\n\n"
        "class Store:\n"
        "    def __init__(self) -> None:\n"
        "        self.dapr = DaprClient()\n\n"
        "app = FastAPI()\n"
        "store = Store()\n\n"
        "@app.post('/orders')\n"
        "async def create() -> dict:\n"
        "    await store.dapr.save_state('statestore', 'k', 'v')\n"
        "    return {}\n",
        # Built per request, but handed the process's client: its own is never built.
        "from dapr.aio.clients import DaprClient\n"
        "from fastapi import FastAPI, Request\n\n"
        "class Store:\n"
        "    def __init__(self, dapr: DaprClient | None = None) -> None:\n"
        "        self.dapr = dapr or DaprClient()\n\n"
        "app = FastAPI()\n\n"
        "@app.post('/orders')\n"
        "async def create(request: Request) -> dict:\n"
        "    await Store(request.app.state.dapr).dapr.save_state('statestore', 'k', 'v')\n"
        "    return {}\n",
        # A wrapper keeping its client, built once for the process and used by each activity run.
        _STATE_STORE + "store = StateStore()\n\n"
        "@wfr.activity(name='mark_pending')\n"
        "def mark_pending(ctx: wf.WorkflowActivityContext, file_id: str) -> None:\n"
        "    store.set(f'pending:{file_id}', '1')\n",
        # Built once, in the lifespan, and kept on the app for every request.
        "from contextlib import asynccontextmanager\n\n"
        "from dapr.clients import DaprClient\n"
        "from fastapi import FastAPI, Request\n\n"
        "class StateStore:\n"
        "    def __init__(self) -> None:\n"
        "        self.client = DaprClient()\n\n"
        "@asynccontextmanager\n"
        "async def lifespan(app: FastAPI):\n"
        "    app.state.store = StateStore()\n"
        "    yield\n\n"
        "app = FastAPI(lifespan=lifespan)\n\n"
        "@app.post('/files/{file_id}/pending')\n"
        "def pending(file_id: str, request: Request) -> dict:\n"
        "    request.app.state.store.client.save_state('statestore', file_id, '1')\n"
        "    return {}\n",
        # A wrapper whose construction builds no client: nothing is opened per activity run.
        "import dapr.ext.workflow as wf\n\n"
        "wfr = wf.WorkflowRuntime()\n\n"
        "class Keys:\n"
        "    def __init__(self, prefix: str) -> None:\n"
        "        self.prefix = prefix\n\n"
        "@wfr.activity(name='pending_key')\n"
        "def pending_key(ctx: wf.WorkflowActivityContext, file_id: str) -> str:\n"
        "    return Keys('pending').prefix + file_id\n",
        # Built per call, but handed the process's HTTP client: the one it would build is not.
        _HTTP_CLIENT + "http = HttpClient()\n\n"
        "def create_task(ctx, title: str) -> None:\n"
        "    Webhook(http).http.post('https://hooks.example/tasks', {'title': title})\n\n"
        "runtime = WorkflowRuntime()\n"
        "runtime.register_activity(create_task)\n",
        # The loop's own client, handed to the helper it calls per message.
        _CONSUMER + "async def consume() -> None:\n"
        "    async with httpx.AsyncClient() as http:\n"
        "        while True:\n"
        "            await publish_answer(http, await queue.get())\n\n"
        "async def publish_answer(http: httpx.AsyncClient, answer: dict) -> None:\n"
        "    await http.post(ANSWERS, json=answer)\n",
    )
    INVALID = (
        # A class keeping its client per instance, and FastAPI building an instance per request.
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n"
                "from fastapi import Depends, FastAPI\n\n"
                "class Store:\n"
                "    def __init__(self) -> None:\n"
                "        self.dapr = DaprClient()\n\n"
                "app = FastAPI()\n\n"
                "@app.post('/orders')\n"
                "async def create(store: Store = Depends()) -> dict:\n"
                "    await store.dapr.save_state('statestore', 'k', 'v')\n"
                "    return {}\n"
            ),
            line=6,
            col=21,
        ),
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
        # A coroutine given the key it works on: awaited per use by the routes of other files.
        Invalid(
            (
                "import aiohttp\n\n"
                "STATE = 'http://127.0.0.1:3500/v1.0/state/statestore'  # noqa: DAPR013\n\n"
                "async def read_item(key: str) -> str | None:\n"
                "    async with aiohttp.ClientSession() as session:\n"
                "        async with session.get(f'{STATE}/{key}') as response:\n"
                "            response.raise_for_status()\n"
                "            return await response.text() if response.status == 200 else None\n"
            ),
            line=6,
            col=16,
        ),
        # A module's function named for one operation: other files call it per event.
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "def publish_task_event(event: str) -> None:\n"
                "    with DaprClient() as client:\n"
                "        client.publish_event('pubsub', 'tasks', event, "
                "data_content_type='application/json')\n"
            ),
            line=4,
            col=10,
        ),
        Invalid(
            (
                "import dapr.ext.workflow as wf\n"
                "from flask import Flask\n\n"
                "app = Flask(__name__)\n\n"
                "@app.post('/orders/<order_id>/approve')\n"
                "def approve(order_id: str) -> str:\n"
                "    client = wf.DaprWorkflowClient()\n"
                "    client.raise_workflow_event(order_id, 'approval', data=True)\n"
                "    return 'ok'\n"
            ),
            line=8,
            col=14,
        ),
        Invalid(
            (
                "import dapr.ext.workflow as wf\n"
                "from dapr.clients import DaprClient\n\n"
                "runtime = wf.WorkflowRuntime()\n\n"
                "@runtime.activity(name='notify')\n"
                "def notify(ctx: wf.WorkflowActivityContext, message: str) -> None:\n"
                "    with DaprClient() as client:\n"
                "        client.save_state('statestore', ctx.workflow_id, message)\n"
            ),
            line=8,
            col=10,
        ),
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "class Scheduler:\n"
                "    def cancel(self, name: str) -> None:\n"
                "        with DaprClient() as client:\n"
                "            client.delete_job(name)\n"
            ),
            line=5,
            col=14,
        ),
        Invalid(
            (
                "import time\n\n"
                "from dapr.clients import DaprClient\n\n"
                "def acquire(resource: str) -> bool:\n"
                "    for _ in range(50):\n"
                "        with DaprClient() as client:\n"
                "            if client.try_lock('lockstore', resource, 'me', 60).success:\n"
                "                return True\n"
                "        time.sleep(0.1)\n"
                "    return False\n"
            ),
            line=7,
            col=14,
        ),
        # A wrapper whose `__init__` builds a DaprClient, built anew by each activity run.
        Invalid(
            (
                _STATE_STORE + "@wfr.activity(name='mark_pending')\n"
                "def mark_pending(ctx: wf.WorkflowActivityContext, file_id: str) -> None:\n"
                "    StateStore().set(f'pending:{file_id}', '1')\n"
            ),
            line=15,
            col=5,
        ),
        # A wrapper of a wrapper of an httpx.Client, per activity run and never closed.
        Invalid(
            (
                _HTTP_CLIENT + "def create_task(ctx, title: str) -> None:\n"
                "    Webhook().http.post('https://hooks.example/tasks', {'title': title})\n\n"
                "runtime = WorkflowRuntime()\n"
                "runtime.register_activity(create_task)\n"
            ),
            line=16,
            col=5,
        ),
        # A consumer loop started at startup, its helper building a pool per message.
        Invalid(
            (
                _CONSUMER + "async def consume() -> None:\n"
                "    while True:\n"
                "        await publish_answer(await queue.get())\n\n"
                "async def publish_answer(answer: dict) -> None:\n"
                "    async with httpx.AsyncClient() as http:\n"
                "        await http.post(ANSWERS, json=answer)\n"
            ),
            line=19,
            col=16,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._constructions: list[tuple[ast.Call, str, tuple[FunctionNode, ...]]] = []
        self._dependencies: set[str] = set()
        self._called_at_top: set[str] = set()

    def visit_Call(self, node: ast.Call) -> None:
        qualname = self.ctx.qualname(node.func) or ""
        if qualname in CLIENTS:
            if self.ctx.functions:
                self._constructions.append((node, CLIENTS[qualname], tuple(self.ctx.functions)))
        elif qualname in ("fastapi.Depends", "fastapi.params.Depends"):
            target = node.args[0] if node.args else None
            if isinstance(target, ast.Name):
                self._dependencies.add(target.id)
        if not self.ctx.functions:
            self._note_top_level(node)

    def _note_top_level(self, node: ast.Call) -> None:
        """Functions module-level code runs or hands on (`Thread(target=f)`, `lifespan=f`).

        They run once per process, like `main` under `if __name__ == "__main__"`.
        """
        if isinstance(node.func, ast.Attribute):  # `demo.publish()`: that method, once
            self._called_at_top.add(node.func.attr)
        values = [node.func, *node.args, *(kw.value for kw in node.keywords)]
        for value in values:
            for item in value.elts if isinstance(value, ast.List | ast.Tuple) else [value]:
                if isinstance(item, ast.Name):
                    self._called_at_top.add(item.id)

    def finish(self, module: ast.Module) -> None:
        if not self._constructions or is_harness_path(self.ctx.path):
            return
        graph = call_graph(module)
        passes = list(_loop_helpers(graph))
        once = set(graph.reach([(f, "") for f in graph.all() if self._runs_once(f)]))
        # A helper a long-running loop calls runs per pass, even when a startup hook started it.
        once -= set(graph.reach(passes))
        standing = self._standing()
        quiet = once | standing
        reached, units = self._per_call(module, graph, quiet, passes)
        unjudged: list[tuple[ast.Call, str, FunctionNode]] = []
        for call, what, enclosing in self._constructions:
            function = enclosing[-1]
            if self.keeps(call, function) or closed_at_once(call, function):
                continue
            cost = client_cost(what)
            if id(function) not in quiet and _in_loop(call, function):
                message = f"{what} created inside a loop in `{function.name}`, one per pass: {cost}"
                self.report(call, message, within=function)
                continue
            how = next((reached[id(f)] for f in reversed(enclosing) if id(f) in reached), None)
            if how is not None:
                unit = units.get(id(how.entry), "request")
                message = f"{what} created inside {how.how}, one per {unit}: {cost}"
                self.report(call, message, within=function)
            elif len(enclosing) == 1 and id(function) not in standing:
                unjudged.append((call, what, function))
        setattr(module, UNJUDGED, unjudged)

    def _per_call(
        self,
        module: ast.Module,
        graph: CallGraph,
        quiet: set[int],
        passes: list[tuple[FunctionNode, str]],
    ) -> tuple[dict[int, Reached], dict[int, str]]:
        """How each function comes to run per event, and what one event of its entry point is.

        Handlers, activities, tools and the helpers of long-running loops are entry points
        first; a method or function of the module that none of them reaches is one of its own,
        called from other files.
        """
        framework = [*framework_entries(self.ctx, graph), *passes]
        reached = per_request(self.ctx, module, self._dependencies, framework)
        outside = [e for e in self._outside_entries(graph, quiet) if id(e[0]) not in reached]
        reached = graph.reach(outside) | reached
        units = {id(function): _UNITS[kind] for function, kind in (*outside, *framework)}
        units |= {id(f): "delivered message" for f, r in self.ctx.handlers if r.kind != "route"}
        return reached, units

    def _outside_entries(
        self, graph: CallGraph, quiet: set[int]
    ) -> Iterator[tuple[FunctionNode, str]]:
        """What other files call once per use: `store.save(item)`, `publish(event)`.

        Any method a class offers; a module function when the module serves an app, when
        another function of the module calls it (a helper of some operation), or when it is
        named as an event handler (`handle_order`, `on_message`) or for one operation
        (`publish_event`, `send_reminder`, `schedule_job`, `cancel_reminder`).
        """
        for method in graph.operations():
            if id(method) not in quiet and not method.name.startswith("__"):
                yield method, "method"
        functions = [
            function
            for function in graph.functions.values()
            if id(function) not in quiet and function.name not in self._dependencies
        ]
        helpers = graph.called(functions)
        service = bool(self.ctx.app_objects or self.ctx.handlers)
        handed = _handed_as_values(graph.module)
        for function in functions:
            named = function.name.startswith(_HANDLER_NAMES + _OPERATION_NAMES)
            operation = function.name not in handed and _operates_on_arguments(function)
            if service or id(function) in helpers or named or operation:
                yield function, "function"

    def _runs_once(self, function: FunctionNode) -> bool:
        """`main`, lifespans and startup hooks, and what module-level code calls."""
        name = function.name
        if name in _ONCE_NAMES or name in self._called_at_top or name.startswith(_ONCE_PREFIXES):
            return True
        if any(word in name for word in _ONCE_WORDS):
            return True
        return any(
            isinstance(target := decorator_target(d), ast.Attribute)
            and target.attr in _ONCE_DECORATORS
            for d in function.decorator_list
        )

    def _standing(self) -> set[int]:
        """Functions that hand their client out (factories) or keep it for a long loop.

        A `while` or `async for` after the construction is a worker serving a stream with one
        client; a `for` over a collection is one operation's work.
        """
        standing: set[int] = set()
        for call, _, enclosing in self._constructions:
            function = enclosing[-1]
            if _handed_out(call, function) or any(
                isinstance(node, ast.While | ast.AsyncFor) and node.lineno > call.lineno
                for node in own_nodes(function)
            ):
                standing.add(id(function))
        return standing

    def keeps(self, call: ast.Call, function: FunctionNode) -> bool:
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


def framework_entries(ctx: FileContext, graph: CallGraph) -> Iterator[tuple[FunctionNode, str]]:
    """Functions a framework calls once per event: workflow activities and agent tools."""
    activities = {
        activity.id
        for call in nodes_of(graph.module, ast.Call)
        if isinstance(call.func, ast.Attribute)
        and call.func.attr in ACTIVITY_CALLS
        and isinstance(activity := argument(call, 0, ACTIVITY_CALLS[call.func.attr]), ast.Name)
    }
    for function in graph.all():
        if function.name in activities or _is_activity(ctx, function):
            yield function, "workflow activity"
        elif any(_named(decorator_target(d), "tool") for d in function.decorator_list):
            yield function, "agent tool"


def _is_activity(ctx: FileContext, function: FunctionNode) -> bool:
    """Declared an activity: its context annotated, or decorated by a workflow runtime."""
    parameters = function.args.posonlyargs + function.args.args
    if parameters and ctx.qualname(parameters[0].annotation) in _ACTIVITY_CONTEXTS:
        return True
    for decorator in function.decorator_list:
        target = decorator_target(decorator)
        if isinstance(target, ast.Attribute) and target.attr == "activity":
            owner = target.value
            runtime = ctx.module_values.get(owner.id) if isinstance(owner, ast.Name) else None
            if isinstance(runtime, ast.Call) and ctx.qualname(runtime.func) in _WORKFLOW_RUNTIMES:
                return True
        if (ctx.qualname(target) or "").startswith("dapr.ext.workflow.") and _named(
            target, "activity"
        ):
            return True
    return False


def client_cost(what: str) -> str:
    """What each construction of the client `what` names costs, for messages."""
    return _COSTS.get(what, _POOL_COST)


def _handed_as_values(module: ast.Module) -> set[str]:
    """Names the module hands on without calling them (`probe: Probe = probe_outbound`): a
    callback runs as often as its caller decides, which this file does not show."""
    called = {id(call.func) for call in nodes_of(module, ast.Call)}
    return {
        node.id
        for node in nodes_of(module, ast.Name)
        if isinstance(node.ctx, ast.Load) and id(node) not in called
    }


def _operates_on_arguments(function: FunctionNode) -> bool:
    """A coroutine given what to work on (`save_state(key, value)`, `get_order(order_id)`):
    one operation, awaited by its callers each time they need it. A function run once
    (`main`, `init_...`, a startup hook) has been told apart before this is asked."""
    arguments = function.args
    given = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    return isinstance(function, ast.AsyncFunctionDef) and any(
        parameter.arg not in ("self", "cls") for parameter in given
    )


def closed_at_once(call: ast.Call, function: FunctionNode) -> bool:
    """`httpx.AsyncClient().aclose()`: built only to be closed, it opens no connection."""
    return any(
        isinstance(node, ast.Attribute) and node.value is call and node.attr in ("close", "aclose")
        for node in own_nodes(function)
    )


_LOOP_HELPER = "loop helper"
# What one run of each kind of entry point is, for messages.
_UNITS = {
    "workflow activity": "activity run",
    "agent tool": "tool call",
    _LOOP_HELPER: "pass of the loop that calls it",
    "method": "call",
    "function": "call",
}


def _loop_helpers(graph: CallGraph) -> Iterator[tuple[FunctionNode, str]]:
    """Functions of the module a `while` or `async for` loop calls in its body: a consumer or
    poller serving a stream calls them once per message or tick, however it was started."""
    for function in graph.all():
        for loop in own_nodes(function):
            if not isinstance(loop, ast.While | ast.AsyncFor):
                continue
            for statement in loop.body:
                for node in walk(statement):
                    callee = (
                        graph.callee(node.func, function) if isinstance(node, ast.Call) else None
                    )
                    if callee is not None and callee is not function:
                        yield callee, _LOOP_HELPER


def _named(target: ast.expr, name: str) -> bool:
    """`@tool`, `@tool(...)`, `@mcp.tool()`: the decorator's last name is `name`."""
    if isinstance(target, ast.Attribute):
        return target.attr == name
    return isinstance(target, ast.Name) and target.id == name


def _in_loop(call: ast.Call, function: FunctionNode) -> bool:
    """The construction sits in the body of a `for` or `while` loop of `function` itself."""
    for node in own_nodes(function):
        if isinstance(node, ast.For | ast.AsyncFor | ast.While) and node.body:
            first, last = node.body[0].lineno, node.body[-1].end_lineno or node.lineno
            if first <= call.lineno <= last:
                return True
    return False


def _handed_out(call: ast.Call, function: FunctionNode) -> bool:
    """`function` returns or yields the client it built (`return DaprClient()`, `yield client`)."""
    names = set()
    for node in own_nodes(function):
        if isinstance(node, ast.Assign) and node.value is call:
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif (
            isinstance(node, ast.withitem)
            and node.context_expr is call
            and isinstance(node.optional_vars, ast.Name)
        ):
            names.add(node.optional_vars.id)

    def is_client(value: ast.expr) -> bool:
        return value is call or (isinstance(value, ast.Name) and value.id in names)

    for node in own_nodes(function):
        if isinstance(node, ast.Return | ast.Yield) and node.value is not None:
            value = node.value
            parts = [value, *getattr(value, "elts", ()), *getattr(value, "args", ())]
            if any(is_client(part) for part in parts):
                return True
    return False
