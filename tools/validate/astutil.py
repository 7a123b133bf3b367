"""Small questions about stdlib `ast` nodes that several rules ask."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import TypeVar, overload

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
N = TypeVar("N", bound=ast.AST)
M = TypeVar("M", bound=ast.AST)
# Nodes that open a scope of their own: a function's own code stops at them.
NEW_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def own_nodes(function: FunctionNode) -> Iterator[ast.AST]:
    """Every node in the body of `function`, not entering nested functions, lambdas or classes.

    Several rules walk each handler; the walk is done once and kept on the node itself.
    """
    cached: tuple[ast.AST, ...] | None = getattr(function, _OWN_NODES, None)
    if cached is None:
        cached = tuple(_walk_own(function))
        setattr(function, _OWN_NODES, cached)
    return iter(cached)


_OWN_NODES = "_daprdev_own_nodes"
_ALL_NODES = "_daprdev_all_nodes"
_BY_TYPE = "_daprdev_by_type"
_TYPE_INDEX = "_daprdev_type_index"
_MODULE_FUNCTIONS = "_daprdev_module_functions"
_CHILDREN = "_daprdev_children"
_SINGLE_ASSIGNMENTS = "_daprdev_single_assignments"
_ASSIGNED_ONCE = "_daprdev_assigned_once"


def children(node: ast.AST) -> tuple[ast.AST, ...]:
    """`ast.iter_child_nodes(node)` (in the same order) without expression contexts and operators,
    computed once and kept on the node: the traversal and every walk of the tree ask for each
    node's children again."""
    cached: tuple[ast.AST, ...] | None = getattr(node, _CHILDREN, None)
    if cached is None:
        found: list[ast.AST] = []
        for name in _code_fields(type(node)):
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                found.append(value)
            elif isinstance(value, list):
                found.extend(item for item in value if isinstance(item, ast.AST))
        cached = tuple(found)
        setattr(node, _CHILDREN, cached)
    return cached


# `Load`/`Store`/`Del` and the operator singletons are close to a third of a module's nodes, and no
# rule looks for them in a walk: each reads them from its parent (`name.ctx`, `binop.op`).
_OPERATOR_FIELDS = frozenset({"ctx", "op", "ops"})


@cache
def _code_fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    return tuple(name for name in node_type._fields if name not in _OPERATOR_FIELDS)


def walk(node: ast.AST) -> tuple[ast.AST, ...]:
    """`ast.walk(node)` (in the same order) without expression contexts and operators (as
    `children`), computed once and kept on the node.

    Many rules look over the whole module or a whole function; with the walk kept, each file's tree
    is walked once however many rules ask.
    """
    cached: tuple[ast.AST, ...] | None = getattr(node, _ALL_NODES, None)
    if cached is None:
        order = [node]
        for reached in order:  # breadth first, as ast.walk: the list grows as it is read
            order.extend(children(reached))
        cached = tuple(order)
        setattr(node, _ALL_NODES, cached)
    return cached


@overload
def nodes_of(root: ast.AST, kind: type[N], /) -> tuple[N, ...]: ...
@overload
def nodes_of(root: ast.AST, kind: type[N], other: type[M], /) -> tuple[N | M, ...]: ...
@overload
def nodes_of(root: ast.AST, *kinds: type[ast.AST]) -> tuple[ast.AST, ...]: ...
def nodes_of(root: ast.AST, *kinds: type[ast.AST]) -> tuple[ast.AST, ...]:
    """The nodes of `walk(root)` of exactly these node classes, in walk order; found once per
    root and classes and kept on the root.

    Rules look over the whole module for one kind of node (its classes, its functions, its
    names) many times a file; asked again, the answer costs a dictionary lookup."""
    index: dict[tuple[type[ast.AST], ...], tuple[ast.AST, ...]] | None = getattr(
        root, _BY_TYPE, None
    )
    if index is None:
        index = {}
        setattr(root, _BY_TYPE, index)
    found = index.get(kinds)
    if found is None:
        if len(kinds) == 1:
            found = index[kinds] = tuple(_by_type(root).get(kinds[0], ()))
        else:
            wanted = frozenset(kinds)
            found = index[kinds] = tuple(node for node in walk(root) if type(node) in wanted)
    return found


def _by_type(root: ast.AST) -> dict[type[ast.AST], list[ast.AST]]:
    """Every node of `walk(root)` under its class, in walk order: one pass over the walk answers
    every question for one class of node (a dozen are asked of each module)."""
    found: dict[type[ast.AST], list[ast.AST]] | None = getattr(root, _TYPE_INDEX, None)
    if found is None:
        found = {}
        for node in walk(root):
            kind = type(node)
            nodes = found.get(kind)
            if nodes is None:
                found[kind] = [node]
            else:
                nodes.append(node)
        setattr(root, _TYPE_INDEX, found)
    return found


def functions_in(root: ast.AST) -> tuple[FunctionNode, ...]:
    """Every function and method under `root`, nested ones included, in walk order."""
    return nodes_of(root, ast.FunctionDef, ast.AsyncFunctionDef)


def _walk_own(function: FunctionNode) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, NEW_SCOPES):
            stack.extend(reversed(children(node)))


# Methods of `logging` and of any logger.
LOG_METHODS = frozenset(
    {"critical", "debug", "error", "exception", "info", "log", "warn", "warning"}
)


def is_log_call(call: ast.Call) -> bool:
    """`print(...)`, `logging.info(...)`, `logger.warning(...)`: a line of output, no work."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "print"
    return isinstance(func, ast.Attribute) and func.attr in LOG_METHODS


def const_str(node: ast.AST | None, constants: Mapping[str, str]) -> str | None:
    """The string value of a literal, a module-level string constant, or an f-string of those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            part = const_str(inner, constants)
            if part is None:
                return None
            parts.append(part)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = const_str(node.left, constants), const_str(node.right, constants)
        return left + right if left is not None and right is not None else None
    return None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The value passed as `name=` to `call`, if any."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    """An argument given either at `position` or as `name=`."""
    if len(call.args) > position and not any(
        isinstance(a, ast.Starred) for a in call.args[: position + 1]
    ):
        return call.args[position]
    return keyword(call, name)


def always_exits(body: list[ast.stmt]) -> bool:
    """True when control cannot fall off the end of `body` (every path returns or raises)."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise):
        return True
    if isinstance(last, ast.If):
        return always_exits(last.body) and always_exits(last.orelse)
    if isinstance(last, ast.With | ast.AsyncWith):
        return always_exits(last.body)
    if isinstance(last, ast.Try | ast.TryStar):
        if last.finalbody and always_exits(last.finalbody):
            return True
        main = always_exits(last.orelse) if last.orelse else always_exits(last.body)
        return main and all(always_exits(h.body) for h in last.handlers)
    if isinstance(last, ast.Match):
        has_default = any(
            isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None
            for case in last.cases
        )
        return has_default and all(always_exits(case.body) for case in last.cases)
    if (
        isinstance(last, ast.While)
        and isinstance(last.test, ast.Constant)
        and last.test.value is True
    ):
        return not any(isinstance(n, ast.Break) for n in ast.walk(last))
    return False


def module_functions(module: ast.Module) -> tuple[tuple[ast.ClassDef | None, FunctionNode], ...]:
    """The module's functions (with None) and its classes' methods (with their class), in order;
    found once and kept on the module (every kind of facts and several rules go through them)."""
    cached: tuple[tuple[ast.ClassDef | None, FunctionNode], ...] | None = getattr(
        module, _MODULE_FUNCTIONS, None
    )
    if cached is None:
        found: list[tuple[ast.ClassDef | None, FunctionNode]] = []
        for statement in module.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((None, statement))
            elif isinstance(statement, ast.ClassDef):
                found += [
                    (statement, member)
                    for member in statement.body
                    if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
                ]
        cached = tuple(found)
        setattr(module, _MODULE_FUNCTIONS, cached)
    return cached


def bound_once(bindings: Iterable[tuple[str, ast.expr | None]]) -> dict[str, ast.expr | None]:
    """Each name of `bindings` (name, value bound) with the value of its one binding; None for a
    name bound more than once or by a binding without a value (`+=`, a loop target): it may hold
    anything. Which statements count as bindings is the caller's to say."""
    found: dict[str, ast.expr | None] = {}
    for name, value in bindings:
        found[name] = value if name not in found else None
    return found


def assigned_once(module: ast.Module) -> dict[str, ast.expr]:
    """Module-level names bound by exactly one assignment, with the value they hold.

    Only the module's own statements count (`NAME = value`, `NAME: T = value`): a name also bound
    inside an `if`, a loop or a function stays assigned once. A dozen rules and facts ask; worked
    out once, kept on the module and read, never changed."""
    cached: dict[str, ast.expr] | None = getattr(module, _ASSIGNED_ONCE, None)
    if cached is None:
        cached = _known(bound_once(_module_bindings(module)))
        setattr(module, _ASSIGNED_ONCE, cached)
    return cached


def single_assignments(function: FunctionNode) -> Mapping[str, ast.expr]:
    """Names the function assigns exactly once, with the value (a reassigned name may hold
    anything). Augmented assignments, loop targets and bare annotations count as assignments
    without a value; unpacking (`a, b = ...`) and `with ... as` are not read.

    Every rule that resolves names in a function asks; worked out once and kept on the node.
    """
    cached: Mapping[str, ast.expr] | None = getattr(function, _SINGLE_ASSIGNMENTS, None)
    if cached is None:
        cached = _known(bound_once(_function_bindings(function)))
        setattr(function, _SINGLE_ASSIGNMENTS, cached)
    return cached


def _known(found: dict[str, ast.expr | None]) -> dict[str, ast.expr]:
    return {name: value for name, value in found.items() if value is not None}


def _module_bindings(module: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    for statement in module.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    yield target.id, statement.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and statement.value is not None
            and isinstance(statement.target, ast.Name)
        ):
            yield statement.target.id, statement.value


def _function_bindings(function: FunctionNode) -> Iterator[tuple[str, ast.expr | None]]:
    for node in own_nodes(function):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.AugAssign | ast.For | ast.AsyncFor):
            targets, value = [node.target], None
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                yield target.id, value
