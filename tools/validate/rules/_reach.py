"""Which functions of a file run per request or per message, and how they are reached.

Entry points are the route, subscription and job handlers the context found, FastAPI dependencies
and dapr.ext.grpc App callbacks. A function of the same file that an entry point calls by name
(`helper(...)`, or `self.helper(...)` within one class), directly or through other such functions,
runs per request too. Calls through objects or passed callables are not followed: a rule asking
here stays quiet on what it cannot see.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tools.validate.astutil import FunctionNode, functions_in, own_nodes, walk
from tools.validate.context import FileContext

_GRPC_CALLBACKS = frozenset({"subscribe", "method", "binding", "job_event"})
# Hooks a framework awaits before the app serves, and the decorator a FastAPI lifespan carries.
_STARTUP_HOOKS = frozenset(
    {"on_event", "on_startup", "on_shutdown", "before_serving", "after_serving"}
)
_LIFESPAN = "contextlib.asynccontextmanager"


@dataclass(frozen=True)
class Reached:
    how: str  # for messages: "the handler `f`", "`g`, which the handler `f` calls"
    entry: FunctionNode  # the handler, dependency or callback it is reached from


def per_request(
    ctx: FileContext,
    module: ast.Module,
    dependencies: Iterable[str] = (),
    extra: Iterable[tuple[FunctionNode, str]] = (),
) -> dict[int, Reached]:
    """`id(function)` -> how it runs per request: handlers, dependencies and their helpers.

    `extra` adds entry points only the caller knows of, each with what it is ("activity").
    """
    graph = call_graph(module)
    entries: list[tuple[FunctionNode, str]] = [
        (function, "subscription handler" if route.kind == "subscription" else "handler")
        for function, route in ctx.handlers
    ]
    entries += [(graph.functions[n], "request dependency") for n in dependencies if n in graph]
    entries += [(f, "dapr.ext.grpc callback") for f in graph.all() if _grpc_callback(ctx, f)]
    entries += extra
    return graph.reach(entries)


def per_message(ctx: FileContext, module: ast.Module) -> dict[int, Reached]:
    """Like `per_request`, for the functions Dapr delivers messages and job triggers to only.

    Subscription handlers include POST routes another file may declare to Dapr: a finding
    reached from one of those belongs to the project-level check (`ctx.deferral_target`).
    """
    graph = call_graph(module)
    jobs = {id(function) for function, _ in ctx.job_handlers()}
    subscriptions = {id(function) for function in ctx.subscription_handlers()}
    entries = [
        (function, "job handler" if id(function) in jobs else "subscription handler")
        for function, _ in ctx.handlers
        if id(function) in jobs | subscriptions
    ]
    entries += [(f, "dapr.ext.grpc callback") for f in graph.all() if _grpc_callback(ctx, f)]
    return graph.reach(entries)


def is_script(ctx: FileContext, module: ast.Module) -> bool:
    """A one-shot program (`asyncio.run(main())`, `if __name__ == "__main__"`) serving no app."""
    if ctx.app_objects or ctx.handlers:
        return False
    for statement in module.body:
        if (
            isinstance(statement, ast.If)
            and isinstance(statement.test, ast.Compare)
            and isinstance(statement.test.left, ast.Name)
            and statement.test.left.id == "__name__"
        ):
            return True
        if isinstance(statement, ast.Expr) and ctx.calls(statement.value, "asyncio.run"):
            return True
    return False


def is_program(ctx: FileContext, module: ast.Module) -> bool:
    """A one-shot program: a script (see `is_script`), or a module serving no app that defines
    no function or class and does work at its top level (a call made for its effect, as in a
    sender looping over `queue.send(msg)`), so nothing imports it for its names."""
    if is_script(ctx, module):
        return True
    if ctx.app_objects or ctx.handlers:
        return False
    pending: list[ast.stmt] = list(module.body)
    acts = False
    while pending:
        statement = pending.pop()
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return False
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call | ast.Await):
            acts = True
        for field in ("body", "orelse", "finalbody"):
            pending += getattr(statement, field, [])
        pending += [s for h in getattr(statement, "handlers", []) for s in h.body]
    return acts


def decorator_target(decorator: ast.expr) -> ast.expr:
    """`app.subscribe` for both `@app.subscribe(...)` and `@app.subscribe`."""
    return decorator.func if isinstance(decorator, ast.Call) else decorator


def before_serving(ctx: FileContext, coroutine: ast.AsyncFunctionDef) -> bool:
    """A startup or shutdown hook (`@app.on_event('startup')`) or the app's lifespan: the server
    awaits it before it accepts the first request and after it drained the last, so nothing
    waits on the loop it blocks. An `asynccontextmanager` that is no lifespan (a session per
    request) runs while the app serves."""
    for decorator in coroutine.decorator_list:
        target = decorator_target(decorator)
        if isinstance(target, ast.Attribute) and target.attr in _STARTUP_HOOKS:
            return True
        if ctx.qualname(target) == _LIFESPAN and "lifespan" in coroutine.name:
            return True
    return False


def _grpc_callback(
    ctx: FileContext, function: FunctionNode, kinds: frozenset[str] = _GRPC_CALLBACKS
) -> bool:
    for decorator in function.decorator_list:
        target = decorator_target(decorator)
        if (
            isinstance(target, ast.Attribute)
            and target.attr in kinds
            and isinstance(target.value, ast.Name)
            and ctx.app_objects.get(target.value.id) == "grpc"
        ):
            return True
    return False


def call_graph(module: ast.Module) -> CallGraph:
    """The module's call graph, built once per tree however many rules ask for it."""
    graph: CallGraph | None = getattr(module, _GRAPH, None)
    if graph is None:
        graph = CallGraph(module)
        setattr(module, _GRAPH, graph)
    return graph


_GRAPH = "_daprdev_call_graph"


class CallGraph:
    """Calls by name between the module's functions and between the methods of each class, and
    calls of a method through a module-level instance of the module's own class."""

    def __init__(self, module: ast.Module) -> None:
        self.module = module
        self.functions: dict[str, FunctionNode] = {}
        self._callee_lists: dict[int, tuple[FunctionNode, ...]] = {}
        self._siblings: dict[int, dict[str, FunctionNode]] = {}
        classes: dict[str, dict[str, FunctionNode]] = {}
        for statement in module.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[statement.name] = statement
            elif isinstance(statement, ast.ClassDef):
                methods = {
                    m.name: m
                    for m in statement.body
                    if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
                }
                classes[statement.name] = methods
                for method in methods.values():
                    self._siblings[id(method)] = methods
        # Instances of the module's own classes a class keeps on `self` (`self._http =
        # HttpClient(...)` in its methods, one class each): `self._http.post(...)` in a method
        # runs `HttpClient.post`.
        self._kept: dict[int, dict[str, dict[str, FunctionNode]]] = {}
        for statement in module.body:
            if isinstance(statement, ast.ClassDef):
                kept = _kept_instances(statement, classes)
                for method in statement.body:
                    if kept and isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._kept[id(method)] = kept
        # Module-level instances of the module's own classes (`service = Service()`): a call of
        # `service.publish(...)` runs `Service.publish`.
        self._instances: dict[str, dict[str, FunctionNode]] = {
            target.id: classes[statement.value.func.id]
            for statement in module.body
            if isinstance(statement, ast.Assign)
            and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name)
            and statement.value.func.id in classes
            for target in statement.targets
            if isinstance(target, ast.Name)
        }

    def __contains__(self, name: str) -> bool:
        return name in self.functions

    def all(self) -> Iterator[FunctionNode]:
        """Every function of the module, nested ones included, in `ast.walk` order."""
        return iter(functions_in(self.module))

    def reach(self, entries: list[tuple[FunctionNode, str]]) -> dict[int, Reached]:
        chains: dict[int, tuple[FunctionNode, str, tuple[str, ...]]] = {}
        queue: list[FunctionNode] = []
        for function, kind in entries:
            if id(function) not in chains:
                chains[id(function)] = (function, f"the {kind} `{function.name}`", ())
                queue.append(function)
        while queue:
            caller = queue.pop(0)  # breadth first: the shortest chain names the helper
            entry, described, path = chains[id(caller)]
            for callee in self._callees(caller):
                if id(callee) not in chains:
                    chains[id(callee)] = (entry, described, (*path, callee.name))
                    queue.append(callee)
        return {
            key: Reached(_describe(described, path), entry)
            for key, (entry, described, path) in chains.items()
        }

    def operations(self) -> list[FunctionNode]:
        """Methods of the module's classes that no other method of their class calls.

        They are what code outside the class calls; the other methods are their helpers.
        """
        methods = [m for m in self.all() if id(m) in self._siblings]
        called = self.called(methods)
        return [method for method in methods if id(method) not in called]

    def called(self, callers: Iterable[FunctionNode]) -> set[int]:
        """Ids of the functions of this module that one of `callers` calls directly."""
        return {id(callee) for caller in callers for callee in self._callees(caller)}

    def callee(self, func: ast.expr, caller: FunctionNode) -> FunctionNode | None:
        """The function of this module a call of `func` inside `caller` runs, if it names one."""
        if isinstance(func, ast.Name):
            return self.functions.get(func.id)
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        ):
            return self._siblings.get(id(caller), {}).get(func.attr)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return self._instances.get(func.value.id, {}).get(func.attr)
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Attribute)
            and isinstance(func.value.value, ast.Name)
            and func.value.value.id == "self"
        ):
            return self._kept.get(id(caller), {}).get(func.value.attr, {}).get(func.attr)
        return None

    def _callees(self, function: FunctionNode) -> tuple[FunctionNode, ...]:
        found = self._callee_lists.get(id(function))
        if found is None:
            # Nested functions and lambdas count: a handler's closure runs inside it.
            calls = (node for node in walk(function) if isinstance(node, ast.Call))
            found = tuple(
                callee
                for callee in (self.callee(call.func, function) for call in calls)
                if callee is not None
            )
            self._callee_lists[id(function)] = found
        return found


def _kept_instances(
    node: ast.ClassDef, classes: dict[str, dict[str, FunctionNode]]
) -> dict[str, dict[str, FunctionNode]]:
    """`self.<attribute>` -> the methods of the module's class every assignment of it in the
    class's methods builds; attributes also assigned anything else are left out."""
    built: dict[str, set[str | None]] = {}
    for method in node.body:
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for statement in own_nodes(method):
            if not isinstance(statement, ast.Assign):
                continue
            value = statement.value
            name = (
                value.func.id
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                else None
            )
            for target in statement.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    built.setdefault(target.attr, set()).add(name if name in classes else None)
    return {
        attribute: classes[only]
        for attribute, names in built.items()
        if len(names) == 1 and (only := next(iter(names))) is not None
    }


def _describe(entry: str, path: tuple[str, ...]) -> str:
    if not path:
        return entry
    via = f" through {', '.join(f'`{name}`' for name in path[:-1])}" if len(path) > 1 else ""
    return f"`{path[-1]}`, which {entry} calls{via}"
