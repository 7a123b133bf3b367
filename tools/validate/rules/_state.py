"""Reads and writes of one state key within a function, for the concurrency rules (DAPR016/017).

A read is `get_state(store, key)`; a write is `save_state(store, key, value)` or a transaction's
`TransactionalStateOperation(key, data)` upsert. A write is guarded when it passes an ETag or
concurrency options (first-write, or options the file cannot show). Names assigned from the read
(`state = await ...get_state(...)`, `order = json.loads(state.data)`, `order.update(...)`) carry
its value, so the rules can tell a write of the read's value (read-modify-write) from a write
after a check of it (check-then-set).

The SDK methods are recognised by name and shape in a file that imports Dapr, unless the file
defines a method of that name itself (then the receiver may well be the project's own object).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from tools.validate.astutil import FunctionNode, always_exits, argument
from tools.validate.context import FileContext

_TRANSACTION_OPERATIONS = frozenset(
    {
        "dapr.clients.grpc._request.TransactionalStateOperation",
        "dapr.clients.grpc.client.TransactionalStateOperation",
    }
)
_DELETE = "delete"
# Methods that put their arguments into the object they are called on.
_FILLING_METHODS = frozenset({"update", "append", "extend", "insert", "add", "setdefault"})


@dataclass(frozen=True)
class StateAccess:
    call: ast.Call
    store: str | None  # ast.dump of the store argument; None for a transaction operation
    key: str
    value: ast.expr | None

    def same_item(self, other: StateAccess) -> bool:
        return self.key == other.key and (
            self.store is None or other.store is None or self.store == other.store
        )

    def before(self, other: StateAccess) -> bool:
        return (self.call.lineno, self.call.col_offset) < (other.call.lineno, other.call.col_offset)


def sdk_state_methods_apply(ctx: FileContext, module: ast.Module) -> bool:
    """True in a file that imports Dapr and defines no get_state/save_state of its own."""
    if not any(m == "dapr" or m.startswith("dapr.") for m in ctx.imports.imported_modules()):
        return False
    return not any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name in ("get_state", "save_state")
        for node in ast.walk(module)
    )


def state_flows(ctx: FileContext, module: ast.Module) -> tuple[StateFlow, ...]:
    """The state flow of every function of a service module, worked out once for the rules that
    read it (DAPR016, DAPR017); none in a one-shot script or where the SDK's methods do not apply.
    """
    cached: tuple[StateFlow, ...] | None = getattr(module, _STATE_FLOWS, None)
    if cached is None:
        from tools.validate.rules._reach import is_script

        applies = not is_script(ctx, module) and sdk_state_methods_apply(ctx, module)
        cached = tuple(
            StateFlow(ctx, node)
            for node in (ast.walk(module) if applies else ())
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        )
        setattr(module, _STATE_FLOWS, cached)
    return cached


_STATE_FLOWS = "_daprdev_state_flows"


class StateFlow:
    """The state reads and unguarded writes of one function, and what depends on each read."""

    def __init__(self, ctx: FileContext, function: FunctionNode) -> None:
        self.ctx = ctx
        self.function = function
        self.nodes = list(_flow_nodes(function))
        self.reads: list[StateAccess] = []
        self.unguarded_writes: list[StateAccess] = []
        for node in self.nodes:
            if isinstance(node, ast.Call):
                self._classify(node)

    def pairs(self) -> Iterator[tuple[StateAccess, StateAccess]]:
        """(read, later unguarded write of the same item), the closest earlier read first."""
        for write in self.unguarded_writes:
            earlier = [r for r in self.reads if r.same_item(write) and r.before(write)]
            if earlier:
                yield earlier[-1], write

    def carries(self, read: StateAccess, expression: ast.AST | None) -> bool:
        """True when `expression` uses the read's result (directly or through names)."""
        if expression is None:
            return False
        derived = self._derived(read)
        return any(
            node is read.call or (isinstance(node, ast.Name) and node.id in derived)
            for node in ast.walk(expression)
        )

    def checked_before(self, read: StateAccess, write: StateAccess) -> ast.If | None:
        """An `if` on the read's result that the write sits in, or that leaves before it."""
        for node in self.nodes:
            if not isinstance(node, ast.If) or not self.carries(read, node.test):
                continue
            branches = node.body + node.orelse
            inside = any(n is write.call for stmt in branches for n in ast.walk(stmt))
            exits_before = (node.end_lineno or node.lineno) < write.call.lineno and _leaves(
                node.body
            )
            if inside or exits_before:
                return node
        return None

    def _classify(self, call: ast.Call) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("get_state", "save_state"):
            store, key = argument(call, 0, "store_name"), argument(call, 1, "key")
            if store is None or key is None:
                return
            access = StateAccess(call, ast.dump(store), ast.dump(key), argument(call, 2, "value"))
            if func.attr == "get_state":
                self.reads.append(access)
            elif not _guarded(call, etag_at=3, options_at=4):
                self.unguarded_writes.append(access)
        elif self.ctx.qualname(func) in _TRANSACTION_OPERATIONS:
            key = argument(call, 0, "key")
            kind = argument(call, 3, "operation_type")
            if key is None or (isinstance(kind, ast.Attribute) and kind.attr == _DELETE):
                return
            if not _guarded(call, etag_at=2, options_at=None):
                self.unguarded_writes.append(
                    StateAccess(call, None, ast.dump(key), argument(call, 1, "data"))
                )

    def _derived(self, read: StateAccess) -> set[str]:
        """Names holding (part of) the read's value, to a fixed point."""
        derived: set[str] = set()

        def uses(expression: ast.AST) -> bool:
            return any(
                node is read.call or (isinstance(node, ast.Name) and node.id in derived)
                for node in ast.walk(expression)
            )

        changed = True
        while changed:
            changed = False
            for node in self.nodes:
                for targets, value in _bindings(node):
                    if value is not None and uses(value):
                        names = {name for target in targets for name in _target_names(target)}
                        if not names <= derived:
                            derived |= names
                            changed = True
        return derived


def _bindings(node: ast.AST) -> Iterator[tuple[list[ast.expr], ast.expr | None]]:
    """(targets, value) for every way a statement binds or fills a name."""
    if isinstance(node, ast.Assign):
        yield node.targets, node.value
    elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
        yield [node.target], node.value
    elif isinstance(node, ast.For | ast.AsyncFor):
        yield [node.target], node.iter
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        # `order.update(state.json())`: the container now holds the read's value.
        call = node.value
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _FILLING_METHODS
            and isinstance(func.value, ast.Name)
        ):
            yield [func.value], ast.Tuple([*call.args, *(k.value for k in call.keywords)])


def _target_names(target: ast.expr) -> Iterator[str]:
    """The names an assignment target fills: `x`, `x[...]`, and each of a tuple's."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Subscript):
        yield from _target_names(target.value)
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _guarded(call: ast.Call, *, etag_at: int, options_at: int | None) -> bool:
    """An ETag or concurrency options are passed, or may be (unpacked arguments)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return True
    etag = argument(call, etag_at, "etag")
    options = argument(call, options_at, "options") if options_at is not None else None
    return any(
        value is not None and not (isinstance(value, ast.Constant) and value.value is None)
        for value in (etag, options)
    )


def _leaves(body: list[ast.stmt]) -> bool:
    return always_exits(body) or (bool(body) and isinstance(body[-1], ast.Continue | ast.Break))


def _flow_nodes(function: FunctionNode) -> Iterator[ast.AST]:
    """The function's nodes in source order, lambdas included, nested functions and classes not."""
    stack: list[ast.AST] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
