"""DAPR045: a shared client closed by a `with` block, then used again.

`with client:` (and `async with`) closes the client when the block ends: a DaprClient closes its
gRPC channel, an httpx, aiohttp or requests session its connection pool. That is right for a
client the block itself builds (`with DaprClient() as client:`). A client the instance or the
module keeps for later calls (`self.client`, built in `__init__`, lazily or by a property; a
module-level client) is closed by the first method that wraps it in `with`, and every later call
on it fails on a closed channel - usually inside an `except` that logs it, so state is silently not
saved and events not published.

Reported once per kept client, at the first `with` that closes it, when the class or module uses
it anywhere else. A block in the method that closes the client on purpose (`close`, `shutdown`,
`__exit__`, a lifespan) is quiet.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tools.validate.astutil import FunctionNode, nodes_of, own_nodes
from tools.validate.instances import Kind, instances_of
from tools.validate.rules.base import Invalid, Rule
from tools.validate.rules.client_per_request import CLIENTS

# What `instances` knows as clients that a `with` closes.
_CLIENT_KINDS: frozenset[Kind] = frozenset(
    {"dapr-sync", "dapr-async", "workflow-sync", "httpx-sync", "requests-session"}
)
# Methods whose job is closing what the object holds.
_CLOSING = frozenset(
    {"close", "aclose", "shutdown", "stop", "teardown", "__exit__", "__aexit__", "__del__"}
)


class ClosedSharedClient(Rule):
    id = "DAPR045"
    name = "shared-client-closed"
    message = "a `with` block closes a client that is kept for later calls"
    why = (
        "Leaving `with client:` closes the client: a DaprClient's gRPC channel, an HTTP "
        "session's connection pool. For a client the instance or the module keeps, the first "
        "call that wraps it in `with` closes it for every later one, which then fails on a "
        "closed channel - typically caught and logged, so state is not saved and events are not "
        "published while the service looks healthy."
    )
    fix = (
        "Use the kept client directly (`self.client.save_state(...)`) and close it once, on "
        "shutdown (the FastAPI lifespan, a `close()` method); or build a client in the `with` "
        "(`with DaprClient() as client:`) where it is meant for that block alone."
    )
    VALID = (
        # The block builds its own client: closing it is its job.
        "from dapr.clients import DaprClient\n\n"
        "def save(key: str, value: str) -> None:\n"
        "    with DaprClient() as client:\n"
        "        client.save_state('statestore', key, value)\n",
        # The kept client is used directly and closed once, in close().
        "from dapr.clients import DaprClient\n\n"
        "class Store:\n"
        "    def __init__(self) -> None:\n"
        "        self.client = DaprClient()\n\n"
        "    def save(self, key: str, value: str) -> None:\n"
        "        self.client.save_state('statestore', key, value)\n\n"
        "    def close(self) -> None:\n"
        "        with self.client:\n"
        "            pass\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "class Store:\n"
                "    def __init__(self, client: DaprClient | None = None) -> None:\n"
                "        self.client = client\n\n"
                "    def save(self, key: str, value: str) -> None:\n"
                "        if self.client is None:\n"
                "            self.client = DaprClient()\n"
                "        with self.client as dapr:\n"
                "            dapr.save_state('statestore', key, value)\n\n"
                "    def load(self, key: str) -> bytes:\n"
                "        return self.client.get_state('statestore', key).data\n"
            ),
            line=10,
            col=14,
        ),
        # A module's client, closed by the first notification.
        Invalid(
            (
                "import httpx\n\n"
                "http = httpx.Client(base_url='https://hooks.example', timeout=5)\n\n"
                "def notify(event: dict) -> None:\n"
                "    with http:\n"
                "        http.post('/orders', json=event).raise_for_status()\n"
            ),
            line=6,
            col=10,
        ),
    )

    def visit_Module(self, node: ast.Module) -> None:
        self._instances = instances_of(self.ctx, node)
        module_clients = {
            name for name, kind in self._instances.at(None).items() if kind in _CLIENT_KINDS
        } | {
            target.id
            for statement in node.body
            if isinstance(statement, ast.Assign) and self._constructs(statement.value)
            for target in statement.targets
            if isinstance(target, ast.Name)
        }
        for statement in node.body:
            if isinstance(statement, ast.ClassDef):
                self._check_class(statement)
            elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                self._check_function(statement, module_clients)

    def _check_function(self, function: FunctionNode, clients: set[str]) -> None:
        """A module-level client closed by a `with` in one of the module's functions."""
        if function.name in _CLOSING or not clients:
            return
        local = {
            target.id
            for node in own_nodes(function)
            if isinstance(node, ast.Assign | ast.withitem)
            for target in _bound(node)
        }
        for item in _with_items(function):
            name = item.context_expr
            if isinstance(name, ast.Name) and name.id in clients and name.id not in local:
                self.report(
                    name,
                    f"`with {name.id}` closes the module's client `{name.id}` when the block "
                    "ends: every later call on it fails on a closed client",
                    within=function,
                )
                clients.discard(name.id)

    def _check_class(self, owner: ast.ClassDef) -> None:
        methods = [m for m in owner.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
        held = self._held_clients(owner, methods)
        if not held:
            return
        reported: set[str] = set()
        for method in methods:
            if method.name in _CLOSING or not method.args.args:
                continue
            receiver = method.args.args[0].arg
            for item in _with_items(method):
                attribute = _attribute_of(item.context_expr, receiver)
                if attribute not in held or attribute in reported:
                    continue
                if not self._used_elsewhere(methods, attribute, item.context_expr):
                    continue
                reported.add(attribute)
                self.report(
                    item.context_expr,
                    f"`with {receiver}.{attribute}` closes the client `{owner.name}` keeps when "
                    "the block ends: every later call on it fails on a closed client",
                    within=method,
                )

    def _held_clients(self, owner: ast.ClassDef, methods: list[FunctionNode]) -> set[str]:
        """Attributes of the instance that hold a client: assigned a construction somewhere in
        the class, or resolved to a client kind (a property or method declared to return one)."""
        held: set[str] = set()
        for method in methods:
            if not method.args.args:
                continue
            receiver = method.args.args[0].arg
            bindings = self._instances.at(method)
            for key, kind in bindings.items():
                name = key.removeprefix(f"{receiver}.").removesuffix("()")
                if key.startswith(f"{receiver}.") and kind in _CLIENT_KINDS:
                    held.add(name)
            for node in own_nodes(method):
                if isinstance(node, ast.Assign) and self._constructs(node.value):
                    held |= {
                        target.attr
                        for target in node.targets
                        if _attribute_of(target, receiver) is not None
                    }
        return held

    def _constructs(self, value: ast.expr) -> bool:
        calls = value.values if isinstance(value, ast.BoolOp) else [value]
        return any(
            isinstance(call, ast.Call) and (self.ctx.qualname(call.func) or "") in CLIENTS
            for call in calls
        )

    @staticmethod
    def _used_elsewhere(methods: list[FunctionNode], attribute: str, closed: ast.expr) -> bool:
        """The instance's client is read somewhere besides the `with` that closes it and the
        checks whether it exists yet."""
        checks = {
            id(compare.left)
            for method in methods
            for compare in nodes_of(method, ast.Compare)
            if any(isinstance(c, ast.Constant) and c.value is None for c in compare.comparators)
        }
        return any(
            node is not closed
            and id(node) not in checks
            and isinstance(node.ctx, ast.Load)
            and node.attr == attribute
            and isinstance(node.value, ast.Name)
            for method in methods
            for node in nodes_of(method, ast.Attribute)
        )


def _with_items(function: FunctionNode) -> Iterator[ast.withitem]:
    for node in own_nodes(function):
        if isinstance(node, ast.With | ast.AsyncWith):
            yield from node.items


def _attribute_of(node: ast.expr, receiver: str) -> str | None:
    """`client` for `self.client`, when `self` is the method's receiver."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == receiver
    ):
        return node.attr
    return None


def _bound(node: ast.Assign | ast.withitem) -> Iterator[ast.Name]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.optional_vars]
    for target in targets:
        if isinstance(target, ast.Name):
            yield target
