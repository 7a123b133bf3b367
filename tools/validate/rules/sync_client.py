from __future__ import annotations

import ast
from functools import cached_property

from tools.validate.astutil import children, nodes_of, own_nodes, walk
from tools.validate.context import FileContext
from tools.validate.instances import Instances, instances_of
from tools.validate.rules._reach import before_serving, is_script
from tools.validate.rules.base import Invalid, Rule

SYNC_CLIENTS = frozenset(
    {
        "dapr.clients.DaprClient",
        "dapr.clients.DaprGrpcClient",
        "dapr.clients.grpc.client.DaprGrpcClient",
    }
)

_INVOKE = (
    "from dapr.clients import DaprClient\n\n\n"
    "async def greet() -> str:\n"
    "    with DaprClient() as client:\n"
    "        response = await client.invoke_method_async('greeter', 'greet/world', data='')\n"
)


class SyncDaprClient(Rule):
    """The synchronous client where it blocks an event loop: used inside an `async def`.

    A plain `def` is its right home - FastAPI runs sync routes in its thread pool, a script has no
    loop - so only a call in the own body of an `async def` counts: constructing the client
    (`DaprClient()`) or calling a method of an instance (known by annotation, construction, `with`,
    `self.client`, a property or getter method declared to return it, `client or DaprClient()`).
    A startup or shutdown hook and the app's lifespan run before the app serves: quiet. The
    finding is the `from dapr.clients import DaprClient` line, which the fixer rewrites; a client
    reached as `dapr.clients.DaprClient` is reported at the calls. A one-shot script
    (`asyncio.run(main())`, no app) runs nothing else on its loop: quiet, unless it enters the
    client with `async with` or awaits its calls, which fails with TypeError.
    """

    id = "DAPR001"
    name = "sync-dapr-client"
    message = "the synchronous dapr.clients.DaprClient blocks the event loop"
    why = (
        "Every call of the synchronous client is a blocking gRPC round-trip to the sidecar. Inside "
        "an `async def` it stalls the event loop, so all other requests, deliveries and job "
        "triggers wait. In a plain `def` (FastAPI runs it in its thread pool) it is fine."
    )
    fix = (
        "Import `DaprClient` from `dapr.aio.clients`, create it once in the FastAPI lifespan and "
        "`await` its methods - or keep the synchronous client and make the function a plain `def`."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\nasync def save(client: DaprClient) -> None:\n"
        "    await client.save_state('statestore', 'k', 'v')\n",
        "import dapr.aio.clients as dapr_aio\n\nasync def make() -> dapr_aio.DaprClient:\n"
        "    return dapr_aio.DaprClient()\n",
        # A sync route: FastAPI runs it in its thread pool, off the event loop.
        "from dapr.clients import DaprClient\nfrom fastapi import FastAPI\n\n"
        "app = FastAPI()\nclient = DaprClient()\n\n"
        "@app.post('/orders')\n"
        "def create(order_id: str) -> dict:\n"
        "    client.save_state('statestore', order_id, 'new')\n"
        "    return {'id': order_id}\n\n"
        "@app.get('/health')\n"
        "async def health() -> dict:\n"
        "    return {'ok': True}\n",
        # A one-shot script: nothing else runs on its loop.
        "import asyncio\nfrom dapr.clients import DaprClient\n\n"
        "async def main() -> None:\n"
        "    with DaprClient() as client:\n"
        "        client.save_state('statestore', 'k', 'v')\n\n"
        "asyncio.run(main())\n",
        # Handed to a worker thread: the loop does not wait on it.
        "import asyncio\nfrom dapr.clients import DaprClient\nfrom fastapi import FastAPI\n\n"
        "app = FastAPI()\nclient = DaprClient()\n\n"
        "@app.post('/orders')\n"
        "async def create(order_id: str) -> dict:\n"
        "    await asyncio.to_thread(client.save_state, 'statestore', order_id, 'new')\n"
        "    return {'id': order_id}\n",
        # Its one coroutine method goes through the SDK's aiohttp client: nothing blocks.
        _INVOKE + "        return response.text()\n",
        # Built (and closed) in startup and shutdown hooks, which run before and after serving;
        # the routes that use it are plain `def`s.
        "from dapr.clients import DaprClient\nfrom fastapi import FastAPI\n\n"
        "app = FastAPI()\nclient: DaprClient | None = None\n\n"
        "@app.on_event('startup')\n"
        "async def connect() -> None:\n"
        "    global client\n"
        "    client = DaprClient()\n\n"
        "@app.on_event('shutdown')\n"
        "async def disconnect() -> None:\n"
        "    if client is not None:\n"
        "        client.close()\n",
    )
    INVALID = (
        # The coroutine method does not make the blocking one beside it any better.
        Invalid(
            _INVOKE + "        client.save_state('statestore', 'world', response.text())\n"
            "        return response.text()\n",
            line=1,
            col=26,
        ),
        Invalid(
            (
                "from dapr.clients import DaprClient\n\nasync def save() -> None:\n"
                "    with DaprClient() as client:\n"
                "        client.save_state('statestore', 'k', 'v')\n"
            ),
            line=1,
            col=26,
        ),
        # A one-shot script is quiet only while it blocks: entered with `async with`, it crashes.
        Invalid(
            (
                "import asyncio\nfrom dapr.clients import DaprClient\n\n"
                "async def main() -> None:\n"
                "    async with DaprClient() as client:\n"
                "        await client.save_state('statestore', 'k', 'v')\n\n"
                "asyncio.run(main())\n"
            ),
            line=2,
            col=26,
        ),
        Invalid(
            "import dapr.clients\n\nasync def make():\n    return dapr.clients.DaprClient()\n",
            line=4,
            col=12,
        ),
        Invalid(
            (
                "from dapr.clients import DaprClient as C\n\n"
                "class Store:\n"
                "    def __init__(self) -> None:\n"
                "        self.client = C()\n\n"
                "    async def get(self, key: str) -> bytes:\n"
                "        return self.client.get_state('statestore', key).data\n"
            ),
            line=1,
            col=26,
        ),
        # Handed in or built on demand, and reached through a property.
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "class Publisher:\n"
                "    def __init__(self, client: DaprClient | None = None) -> None:\n"
                "        self._client = client or DaprClient()\n\n"
                "    @property\n"
                "    def client(self) -> DaprClient:\n"
                "        return self._client\n\n"
                "    async def remember(self, data: str) -> None:\n"
                "        self.client.save_state('statestore', 'last', data)\n"
            ),
            line=1,
            col=26,
        ),
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "class Store:\n"
                "    def __init__(self) -> None:\n"
                "        self._client = None\n\n"
                "    def _get_client(self) -> DaprClient:\n"
                "        if self._client is None:\n"
                "            self._client = DaprClient()\n"
                "        return self._client\n\n"
                "    async def get(self, key: str) -> bytes:\n"
                "        client = self._get_client()\n"
                "        return client.get_state('statestore', key).data\n"
            ),
            line=1,
            col=26,
        ),
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n\n"
                "async def settle() -> None:\n"
                "    with DaprClient() as client:  # one call only\n"
                "        client.save_state('statestore', 'order-1', 'paid')\n"
                "        state = client.get_state('statestore', 'order-1').data\n"
                "        print(state)\n"
            ),
            line=1,
            col=26,
            fixed=(
                "from dapr.aio.clients import DaprClient\n"
                "from dapr.aio.clients.health import DaprHealth\n\n\n"
                "async def settle() -> None:\n"
                "    await DaprHealth.wait_for_sidecar()\n"
                "    async with DaprClient() as client:  # one call only\n"
                "        await client.save_state('statestore', 'order-1', 'paid')\n"
                "        state = (await client.get_state('statestore', 'order-1')).data\n"
                "        print(state)\n"
            ),
        ),
        Invalid(
            (
                "from dapr.clients import DaprClient as Dapr, Job\n\n\n"
                "async def register() -> Job:\n"
                "    with Dapr() as dapr:\n"
                "        return dapr.get_job('cleanup')\n"
            ),
            line=1,
            col=26,
            fixed=(
                "from dapr.clients import Job\n"
                "from dapr.aio.clients import DaprClient as Dapr\n"
                "from dapr.aio.clients.health import DaprHealth\n\n\n"
                "async def register() -> Job:\n"
                "    await DaprHealth.wait_for_sidecar()\n"
                "    async with Dapr() as dapr:\n"
                "        return await dapr.get_job('cleanup')\n"
            ),
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._imports: list[ast.alias] = []
        self._module: ast.Module | None = None
        self._instances: Instances | None = None
        # Where async code uses the client: (the use, the `async def` it is in).
        self._async_uses: list[tuple[ast.AST, ast.AsyncFunctionDef]] = []
        # The uses that treat it as the aio client (`async with`, `await`): a TypeError.
        self._awaited: list[tuple[ast.AST, ast.AsyncFunctionDef]] = []

    def visit_Module(self, node: ast.Module) -> None:
        self._module = node
        self._instances = instances_of(self.ctx, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._imports.extend(a for a in node.names if f"{node.module}.{a.name}" in SYNC_CLIENTS)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        # A startup or shutdown hook, or the lifespan, blocks a loop nothing else waits on yet.
        if self._instances is None or before_serving(self.ctx, node):
            return
        uses = async_uses(self._instances, node)
        self._async_uses += [(use, node) for use in uses]
        self._awaited += [(use, node) for use in _awaited(uses, node)]

    def finish(self, module: ast.Module) -> None:
        if not self._async_uses or (not self._awaited and one_shot_script(self.ctx, module)):
            return
        use, function = (self._awaited or self._async_uses)[0]
        line = getattr(use, "lineno", function.lineno)
        message = (
            f"the synchronous dapr.clients.DaprClient is used as the async one inside `async def "
            f"{function.name}` (line {line}): it has no `async with` and its calls return no "
            "awaitable, so this raises TypeError"
            if self._awaited
            else f"the synchronous dapr.clients.DaprClient is used inside `async def "
            f"{function.name}` (line {line}): every call blocks the event loop"
        )
        for alias in self._imports:
            self.report(alias, message)
        if not self._imports:  # reached as `dapr.clients.DaprClient`: report the async uses
            for use, function in self._async_uses:
                self.report(use, within=function)

    def fixable(self, node: ast.AST) -> bool:
        return (
            isinstance(node, ast.alias)
            and node.name == "DaprClient"
            and node in self._fixable_imports
        )

    @cached_property
    def _fixable_imports(self) -> list[ast.alias]:
        if self._module is None:
            return []
        handlers = {id(function) for function in self.ctx.request_handlers()}
        return _fixable_imports(self._module, handlers)


def async_uses(instances: Instances, function: ast.AsyncFunctionDef) -> list[ast.Call]:
    """The calls in the own body of `function` that construct or call the synchronous client
    in a way that blocks: calling one of its coroutine methods does not."""
    bindings = instances.at(function)
    uses = []
    coroutines = False
    for use in own_nodes(function):
        if not isinstance(use, ast.Call):
            continue
        # Constructing it probes the sidecar; each method is a gRPC round-trip. Naming the
        # class without calling it (`asyncio.to_thread(DaprClient)`) blocks nothing.
        func = use.func
        method = (
            func.attr
            if isinstance(func, ast.Attribute)
            and instances.kind_of(func.value, bindings) == "dapr-sync"
            else None
        )
        if method in SYNC_CLIENT_COROUTINES:
            coroutines = True
        elif method is not None or instances.ctx.qualname(func) in SYNC_CLIENTS:
            uses.append(use)
    # A client made only for its coroutine methods blocks no more than the aio client would:
    # both probe the sidecar when constructed (a cost per call there, which is DAPR008's).
    if coroutines and all(instances.ctx.qualname(use.func) in SYNC_CLIENTS for use in uses):
        return []
    return uses


def _awaited(uses: list[ast.Call], function: ast.AsyncFunctionDef) -> list[ast.Call]:
    """The uses entered with `async with` or awaited, as if the client were the aio one."""
    ids = {id(use) for use in uses}
    found: list[ast.Call] = []
    for node in own_nodes(function):
        if isinstance(node, ast.AsyncWith):
            found += [i.context_expr for i in node.items if id(i.context_expr) in ids]  # type: ignore[misc]
        elif isinstance(node, ast.Await) and id(node.value) in ids:
            found.append(node.value)  # type: ignore[arg-type]
    return found


def one_shot_script(ctx: FileContext, module: ast.Module) -> bool:
    """A program run once (`asyncio.run(main())`, `if __name__ == "__main__"`) serving no app,
    whose coroutines no framework registers (a decorated `async def` - an agent tool, a callback -
    runs on someone else's loop beside other work; the `__main__` block is then only a demo)."""
    return is_script(ctx, module) and not any(
        node.decorator_list for node in nodes_of(module, ast.AsyncFunctionDef)
    )


# The synchronous client's coroutine methods: `invoke_method_async` sends through the SDK's
# aiohttp invocation client (dapr.clients.DaprClient, SDK 1.16-1.19) and blocks nothing.
SYNC_CLIENT_COROUTINES = frozenset({"invoke_method_async"})
# The aio client's methods are all coroutines (dapr.aio.clients.DaprClient, SDK 1.16-1.19).
AIO_METHODS = frozenset(
    {
        "close",
        "decrypt",
        "delete_job",
        "delete_job_alpha1",
        "delete_state",
        "encrypt",
        "execute_state_transaction",
        "get_bulk_secret",
        "get_bulk_state",
        "get_configuration",
        "get_job",
        "get_job_alpha1",
        "get_metadata",
        "get_secret",
        "get_state",
        "invoke_binding",
        "invoke_method",
        "publish_event",
        "publish_events",
        "query_state",
        "save_bulk_state",
        "save_state",
        "schedule_job",
        "schedule_job_alpha1",
        "set_metadata",
        "shutdown",
        "try_lock",
        "unlock",
    }
)


def _fixable_imports(module: ast.Module, handlers: set[int]) -> list[ast.alias]:
    """`from dapr.clients import DaprClient` aliases whose every use converts mechanically to aio.

    Safe means: each use of the imported name (outside annotations) is the only item of a `with`
    directly inside an `async def` that is not a request handler, and inside that block the bound
    client is only ever the receiver of method calls of the aio client (which become awaited).
    Anything else (a client kept in a variable, passed around, used from sync code, or created per
    request, which is DAPR008's finding and needs moving to the lifespan) needs a person, so the
    finding stays unfixed.
    """
    aliases = [
        alias
        for statement in module.body
        if isinstance(statement, ast.ImportFrom)
        and statement.level == 0
        and statement.module == "dapr.clients"
        for alias in statement.names
        if alias.name == "DaprClient"
    ]
    names = {alias.asname or alias.name for alias in aliases}
    if not names or not _uses_convert(module, names, handlers):
        return []
    return aliases


def _uses_convert(module: ast.Module, names: set[str], handlers: set[int]) -> bool:
    parents = {id(child): parent for parent in walk(module) for child in children(parent)}
    allowed = _annotation_nodes(module)  # ids of the uses that convert (or need no change)
    # Per async function: the client variables its `with` blocks bind, and their convertible uses.
    clients: dict[int, tuple[ast.AsyncFunctionDef, set[str], set[int]]] = {}
    for statement in nodes_of(module, ast.With):
        call = statement.items[0].context_expr
        if not (
            isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in names
        ):
            continue
        function = _function_of(statement, parents)
        target = statement.items[0].optional_vars
        if not (
            isinstance(function, ast.AsyncFunctionDef)
            and id(function) not in handlers
            and len(statement.items) == 1
            and (target is None or isinstance(target, ast.Name))
        ):
            return False
        allowed.add(id(call.func))
        if isinstance(target, ast.Name):
            _, variables, uses = clients.setdefault(id(function), (function, set(), set()))
            variables.add(target.id)
            uses.update(_awaitable_uses(function, statement, target, parents))
    # A client variable may appear nowhere else in its function: not stored, passed or reused.
    for function, variables, uses in clients.values():
        for node in walk(function):
            if isinstance(node, ast.Name) and node.id in variables and id(node) not in uses:
                return False
    return all(id(node) in allowed for node in nodes_of(module, ast.Name) if node.id in names)


def _awaitable_uses(
    function: ast.AsyncFunctionDef,
    statement: ast.With,
    target: ast.Name,
    parents: dict[int, ast.AST],
) -> set[int]:
    """Ids of `target` and of its uses in the block as the receiver of an aio client method."""
    uses = {id(target)}
    for node in walk(statement):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == target.id
            and node.func.attr in AIO_METHODS
            and not isinstance(parents.get(id(node)), ast.Await)
            and _function_of(node, parents) is function
        ):
            uses.add(id(node.func.value))
    return uses


def _function_of(node: ast.AST, parents: dict[int, ast.AST]) -> ast.AST | None:
    """The innermost function or lambda around `node`."""
    parent = parents.get(id(node))
    while parent is not None and not isinstance(
        parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    ):
        parent = parents.get(id(parent))
    return parent


def _annotation_nodes(module: ast.Module) -> set[int]:
    roots: list[ast.AST] = []
    for node in nodes_of(module, ast.arg, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            roots.append(node.returns)
    return {id(child) for root in roots for child in walk(root)}
