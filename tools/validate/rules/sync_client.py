from __future__ import annotations

import ast
from functools import cached_property

from tools.validate.context import FileContext
from tools.validate.rules.base import Invalid, Rule

SYNC_CLIENTS = frozenset(
    {
        "dapr.clients.DaprClient",
        "dapr.clients.DaprGrpcClient",
        "dapr.clients.grpc.client.DaprGrpcClient",
    }
)


class SyncDaprClient(Rule):
    id = "DAPR001"
    name = "sync-dapr-client"
    message = "the synchronous dapr.clients.DaprClient blocks the event loop"
    why = (
        "Every call of the synchronous client is a blocking gRPC round-trip to the sidecar. Inside "
        "an async service it stalls the event loop, so all other requests, deliveries and job "
        "triggers wait."
    )
    fix = (
        "Import `DaprClient` from `dapr.aio.clients`, create it once in the FastAPI lifespan and "
        "`await` its methods."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\nasync def save(client: DaprClient) -> None:\n"
        "    await client.save_state('statestore', 'k', 'v')\n",
        "import dapr.aio.clients as dapr_aio\n\nasync def make() -> dapr_aio.DaprClient:\n"
        "    return dapr_aio.DaprClient()\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.clients import DaprClient\n\nasync def save() -> None:\n"
                "    with DaprClient() as client:\n"
                "        client.save_state('statestore', 'k', 'v')\n"
            ),
            line=1,
            col=26,
        ),
        Invalid(
            "import dapr.clients\n\nasync def make():\n    return dapr.clients.DaprClient()\n",
            line=4,
            col=12,
        ),
        Invalid(
            "from dapr.clients import DaprClient as C\n\nasync def f():\n    return C\n",
            line=1,
            col=26,
        ),
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n\n"
                "async def save(order_id: str) -> None:\n"
                "    with DaprClient() as client:  # one call only\n"
                "        client.save_state('statestore', order_id, 'paid')\n"
                "        state = client.get_state('statestore', order_id).data\n"
                "        print(state)\n"
            ),
            line=1,
            col=26,
            fixed=(
                "from dapr.aio.clients import DaprClient\n"
                "from dapr.aio.clients.health import DaprHealth\n\n\n"
                "async def save(order_id: str) -> None:\n"
                "    await DaprHealth.wait_for_sidecar()\n"
                "    async with DaprClient() as client:  # one call only\n"
                "        await client.save_state('statestore', order_id, 'paid')\n"
                "        state = (await client.get_state('statestore', order_id)).data\n"
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
        self._uses: list[ast.AST] = []
        self._module: ast.Module | None = None

    def visit_Module(self, node: ast.Module) -> None:
        self._module = node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._uses.extend(a for a in node.names if f"{node.module}.{a.name}" in SYNC_CLIENTS)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self.ctx.qualname(node) in SYNC_CLIENTS:
            self._uses.append(node)

    def finish(self) -> None:
        # A synchronous script may use the synchronous client; an async service must not.
        if self.ctx.has_async:
            for use in self._uses:
                self.report(use)

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
    parents = {
        id(child): parent for parent in ast.walk(module) for child in ast.iter_child_nodes(parent)
    }
    allowed = _annotation_nodes(module)  # ids of the uses that convert (or need no change)
    # Per async function: the client variables its `with` blocks bind, and their convertible uses.
    clients: dict[int, tuple[ast.AsyncFunctionDef, set[str], set[int]]] = {}
    for statement in ast.walk(module):
        if not isinstance(statement, ast.With):
            continue
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
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and node.id in variables and id(node) not in uses:
                return False
    return all(
        id(node) in allowed
        for node in ast.walk(module)
        if isinstance(node, ast.Name) and node.id in names
    )


def _awaitable_uses(
    function: ast.AsyncFunctionDef,
    statement: ast.With,
    target: ast.Name,
    parents: dict[int, ast.AST],
) -> set[int]:
    """Ids of `target` and of its uses in the block as the receiver of an aio client method."""
    uses = {id(target)}
    for node in ast.walk(statement):
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
    for node in ast.walk(module):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            roots.append(node.returns)
    return {id(child) for root in roots for child in ast.walk(root)}
