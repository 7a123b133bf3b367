"""Reads and writes of one state key within a function, for the concurrency rules (DAPR016/017).

A read is `get_state(store, key)`; a write is `save_state(store, key, value)`, a transaction's
`TransactionalStateOperation(key, data)` upsert or a bulk save's `StateItem(key, value)`. Over raw
HTTP, a read is a GET of `/v1.0/state/<store>/<key>` and a write a POST of
`[{"key": ..., "value": ...}]` to `/v1.0/state/<store>`. A write is guarded when it passes an ETag
or concurrency options
(first-write, or options the file cannot show). Names assigned from the read (`state = await
...get_state(...)`, `order = json.loads(state.data)`, `order.update(...)`) carry its value, so the
rules can tell a write of the read's value (read-modify-write) from a write after a check of it
(check-then-set).

A project's own helper that reads or writes one key it is given (`get_item(key)` around
`get_state`, `save_item(key, data)` around an unguarded `save_state`) is an access too where the
file calls it: such a helper returns the data without its ETag or saves without one, so the
caller's read-modify-write through it is as unguarded as a direct one.

The SDK methods are recognised by name and shape in a file that imports Dapr (or where the call
names the SDK's `store_name=` parameter), unless a class of the file defines a method of that
name itself (then the receiver may well be the project's own object).
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from tools.validate.astutil import (
    FunctionNode,
    always_exits,
    argument,
    children,
    functions_in,
    keyword,
    nodes_of,
    own_nodes,
    walk,
)
from tools.validate.context import FileContext
from tools.validate.rules._http import Locals, http_request
from tools.validate.rules._strings import HOLE

_TRANSACTION_OPERATIONS = frozenset(
    {
        "dapr.clients.grpc._request.TransactionalStateOperation",
        "dapr.clients.grpc.client.TransactionalStateOperation",
    }
)
# `StateItem(key, value, etag=None, options=None, metadata=None)`: one item of `save_bulk_state`.
_STATE_ITEMS = frozenset(
    {"dapr.clients.grpc._state.StateItem", "dapr.clients.grpc.client.StateItem"}
)
_SDK_METHODS = ("get_state", "save_state")
_DELETE = "delete"
# Methods that put their arguments into the object they are called on.
_FILLING_METHODS = frozenset({"update", "append", "extend", "insert", "add", "setdefault"})
# The sidecar's state API: `/v1.0/state/<store>/<key>` reads one key, `/v1.0/state/<store>` saves.
_STATE_ITEM_URL = re.compile(rf"/v1\.0/state/[^/?{HOLE}]+/{HOLE}$")
_STATE_SAVE_URL = re.compile(rf"/v1\.0/state/[^/?{HOLE}]+/?$")
_RECEIVERS_OF_METHODS = frozenset({"self", "cls"})
# Helpers around helpers around the SDK are as deep as anyone writes them.
_HELPER_ROUNDS = 4
Kind = Literal["read", "write"]


@dataclass(frozen=True)
class StateAccess:
    call: ast.Call
    store: str | None  # ast.dump of the store argument; None when not shown (transaction, helper)
    key_node: ast.expr
    value: ast.expr | None

    @cached_property
    def key(self) -> str:
        # Kept on the node: every assumed access of one argument compares the same text.
        dumped: str | None = getattr(self.key_node, _DUMP, None)
        if dumped is None:
            dumped = ast.dump(self.key_node)
            setattr(self.key_node, _DUMP, dumped)
        return dumped

    @cached_property
    def ties(self) -> frozenset[str]:
        """What can tie it to an access of the same item: its key, and the id field the key is
        read from (`order.product_id`; see StateFlow._keyed_from)."""
        field = _field_name(self.key_node)
        return frozenset({self.key, *([f".{field}"] if field is not None else [])})

    def same_item(self, other: StateAccess) -> bool:
        return self.key == other.key and (
            self.store is None or other.store is None or self.store == other.store
        )

    def before(self, other: StateAccess) -> bool:
        return (self.call.lineno, self.call.col_offset) < (other.call.lineno, other.call.col_offset)


@dataclass(frozen=True)
class _Access:
    """One state access a call makes, before it is placed in a function's flow."""

    kind: Kind
    store: str | None
    key: ast.expr
    value: ast.expr | None
    guarded: bool


@dataclass(frozen=True)
class Helper:
    """A function of the file that reads or writes the key given as one of its parameters."""

    kind: Kind
    key: tuple[int, str]  # (position in a call, parameter name)
    value: tuple[int, str] | None


def state_flows(ctx: FileContext, module: ast.Module) -> tuple[StateFlow, ...]:
    """The state flow of every function of a service module that touches state, worked out once
    for the rules that read it (DAPR016, DAPR017); none in a one-shot script.
    """
    cached: tuple[StateFlow, ...] | None = getattr(module, _STATE_FLOWS, None)
    if cached is None:
        accesses = state_accesses(ctx, module)
        cached = () if accesses is None else accesses.flows(module)
        setattr(module, _STATE_FLOWS, cached)
    return cached


def state_accesses(
    ctx: FileContext, module: ast.Module, *, named: bool = True
) -> StateAccesses | None:
    """Which calls of a service module access state, worked out once; None in a one-shot script
    and, when `named`, in a file that never names state (a file calling another module's
    helpers need not)."""
    # Every access of the file's own names state somewhere (`get_state`, `/v1.0/state/`, ...).
    if named and "state" not in ctx.source and "State" not in ctx.source:
        return None
    if not hasattr(module, _STATE_ACCESSES):
        from tools.validate.rules._reach import is_script

        script = is_script(ctx, module)
        setattr(module, _STATE_ACCESSES, None if script else StateAccesses(ctx, module))
    accesses: StateAccesses | None = getattr(module, _STATE_ACCESSES)
    return accesses


_STATE_FLOWS = "_daprdev_state_flows"
_DUMP = "_daprdev_dump"
_STATE_ACCESSES = "_daprdev_state_accesses"


class StateAccesses:
    """Which calls of the file read or write state: the SDK's, raw HTTP, the file's helpers."""

    def __init__(self, ctx: FileContext, module: ast.Module) -> None:
        self.ctx = ctx
        self.locals = Locals()
        self.locals.add_module(module)
        self.imports_dapr = any(
            m == "dapr" or m.startswith("dapr.") for m in ctx.imports.imported_modules()
        )
        self.functions = [
            node for node in module.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        self.methods = [
            item
            for node in nodes_of(module, ast.ClassDef)
            for item in node.body
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        self.own_methods = {method.name for method in self.methods}
        # Names holding an instance of one of the file's classes: `self`, `cls`, a parameter
        # annotated with the class, a name assigned its construction.
        classes = {node.name for node in nodes_of(module, ast.ClassDef)}
        self._own_instances = (
            set(_RECEIVERS_OF_METHODS)
            | {
                parameter.arg
                for parameter in nodes_of(module, ast.arg)
                if isinstance(parameter.annotation, ast.Name) and parameter.annotation.id in classes
            }
            | {
                target.id
                for node in nodes_of(module, ast.Assign)
                if isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
                and node.value.func.id in classes
                for target in node.targets
                if isinstance(target, ast.Name)
            }
        )
        # A state URL the file can read has the route's word in the file's text.
        self.raw_http = "/state" in ctx.source
        # Each function's nodes and each call's raw HTTP reading, kept for the helper rounds.
        self._nodes: dict[int, list[ast.AST]] = {}
        self._raw: dict[int, _Access | None] = {}
        self._direct: dict[int, tuple[bool, _Access | None]] = {}
        self._calls: dict[int, list[ast.Call]] = {}
        self.derived: dict[int, set[str]] = {}  # id(read call) -> names holding its value
        self.helpers: dict[str, Helper] = {}
        self.method_helpers: dict[str, Helper] = {}
        self._find_helpers()

    def exported(self, module: ast.Module) -> dict[str, Helper]:
        """The helpers other modules may call, keyed `function` or `Class.method`."""
        table = dict(self.helpers)
        for node in module.body:
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    helper = self.method_helpers.get(getattr(item, "name", ""))
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and helper:
                        table[f"{node.name}.{item.name}"] = helper
        return table

    def nodes(self, function: FunctionNode) -> list[ast.AST]:
        if id(function) not in self._nodes:
            self._nodes[id(function)] = list(_flow_nodes(function))
        return self._nodes[id(function)]

    def calls(self, function: FunctionNode) -> list[ast.Call]:
        """The function's calls in source order (the helper rounds read them several times)."""
        if id(function) not in self._calls:
            self._calls[id(function)] = [n for n in self.nodes(function) if isinstance(n, ast.Call)]
        return self._calls[id(function)]

    def flows(self, module: ast.Module) -> tuple[StateFlow, ...]:
        flows = (StateFlow(self, node) for node in functions_in(module))
        return tuple(flow for flow in flows if flow.reads and flow.unguarded_writes)

    def access(self, call: ast.Call, function: FunctionNode) -> _Access | None:
        """The state access `call` makes, if it makes one."""
        # The SDK's and the transactions' readings never change; the helper rounds ask for every
        # call several times, so each is worked out once.
        if id(call) not in self._direct:
            self._direct[id(call)] = self._direct_access(call)
        direct, found = self._direct[id(call)]
        if direct:
            if found is not None and found.guarded and _dict_options_only(call, function):
                # `options={}` or `{"ttlInSeconds": ...}`: no StateOptions, no concurrency.
                return replace(found, guarded=False)
            return found
        func = call.func
        helper = self._helper_of(func)
        if helper is not None:
            return _helper_access(call, helper)
        if not self.raw_http:
            return None
        if id(call) not in self._raw:
            self._raw[id(call)] = self._raw_access(call, function)
        return self._raw[id(call)]

    def _direct_access(self, call: ast.Call) -> tuple[bool, _Access | None]:
        """(True, the access) for a call the SDK's or a transaction's reading settles - None when
        it accesses nothing -, (False, None) when only helpers and raw HTTP can tell."""
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in _SDK_METHODS:
            shaped = self.imports_dapr or keyword(call, "store_name") is not None
            # `self.get_state(key)` is the file's own wrapper (a helper, judged as one);
            # `client.get_state(store, key)` inside that wrapper is the SDK.
            own = (
                func.attr in self.own_methods
                and isinstance(func.value, ast.Name)
                and func.value.id in self._own_instances
            )
            if own:
                return False, None  # one of the file's helpers, if it is one
            if not shaped:
                return True, None
            return True, _sdk_access(call, func.attr)
        qualname = self.ctx.qualname(func)
        if qualname in _TRANSACTION_OPERATIONS:
            return True, _transaction_access(call)
        if qualname in _STATE_ITEMS:
            return True, _item_access(call)
        return False, None

    def _helper_of(self, func: ast.expr) -> Helper | None:
        if isinstance(func, ast.Name):
            return self.helpers.get(func.id)
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in _RECEIVERS_OF_METHODS
        ):
            return self.method_helpers.get(func.attr)
        return None

    def _raw_access(self, call: ast.Call, function: FunctionNode) -> _Access | None:
        local = self.locals.of(function)
        request = http_request(self.ctx, call, local)
        if request is None:
            return None
        if request.verb == "GET" and _STATE_ITEM_URL.search(request.url):
            url_at = (
                1 if isinstance(call.func, ast.Attribute) and call.func.attr == "request" else 0
            )
            key = _last_part(argument(call, url_at, "url"), local)
            return None if key is None else _Access("read", None, key, None, False)
        if request.verb == "POST" and _STATE_SAVE_URL.search(request.url):
            body = request.json_body
            if isinstance(body, ast.Name):
                body = local.get(body.id)
            return _raw_save(body)
        return None

    def _find_helpers(self) -> None:
        """Helpers around helpers too (`is_processed(id)` around `get_item(key)`): each round
        judges every function with the helpers the last round found, until nothing changes."""
        for _ in range(_HELPER_ROUNDS):
            helpers = {
                function.name: helper
                for function in self.functions
                for helper in [self._helper(function, method=False)]
                if helper is not None
            }
            found: dict[str, set[Helper | None]] = {}
            for method in self.methods:
                found.setdefault(method.name, set()).add(self._helper(method, method=True))
            # A name several classes define differently may be any of them: none.
            method_helpers = {
                name: next(iter(kinds))
                for name, kinds in found.items()
                if len(kinds) == 1 and None not in kinds
            }
            if (helpers, method_helpers) == (self.helpers, self.method_helpers):
                return
            self.helpers, self.method_helpers = helpers, method_helpers

    def _helper(self, function: FunctionNode, *, method: bool) -> Helper | None:
        """A helper reads the key it is given and returns what it read, or saves it unguarded;
        a function that does both (or guards its save) is judged by its own flow."""
        parameters = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
        if method and not _static(function):
            parameters = parameters[1:]
        if not parameters:
            return None
        nodes = self.nodes(function)
        accesses = [
            access
            for call in self.calls(function)
            for access in [self.access(call, function)]
            if access is not None
        ]
        if len(accesses) != 1 or accesses[0].guarded:
            return None
        (access,) = accesses
        local = self.locals.of(function)
        key = _parameter_in(access.key, parameters, local)
        if key is None:
            return None
        if access.kind == "read":
            returns = any(
                isinstance(node, ast.Return)
                and node.value is not None
                and not (isinstance(node.value, ast.Constant) and node.value.value is None)
                for node in nodes
            )
            return Helper("read", key, None) if returns else None
        value = _parameter_in(access.value, parameters, local) if access.value else None
        return Helper("write", key, value)


class StateFlow:
    """The state reads and unguarded writes of one function, and what depends on each read."""

    def __init__(self, accesses: StateAccesses, function: FunctionNode) -> None:
        self.function = function
        self.nodes = accesses.nodes(function)
        self._derived_of = accesses.derived
        self.reads: list[StateAccess] = []
        self.unguarded_writes: list[StateAccess] = []
        for node in accesses.calls(function):
            access = accesses.access(node, function)
            if access is None:
                continue
            placed = StateAccess(node, access.store, access.key, access.value)
            if access.kind == "read":
                self.reads.append(placed)
            elif not access.guarded:
                self.unguarded_writes.append(placed)

    def assuming(self, reads: list[StateAccess], writes: list[StateAccess]) -> StateFlow:
        """The same function's flow with further accesses: calls of another module's helpers,
        taken for reads and unguarded writes of the keys they are given."""
        flow = copy.copy(self)
        flow.reads = sorted([*self.reads, *reads], key=_position)
        flow.unguarded_writes = sorted([*self.unguarded_writes, *writes], key=_position)
        return flow

    def pairs(self) -> Iterator[tuple[StateAccess, StateAccess]]:
        """(read, later unguarded write of the same item), the closest earlier read first."""
        for write in self.unguarded_writes:
            earlier = [
                r
                for r in self.reads
                if r.before(write) and (r.same_item(write) or self._keyed_from(r, write))
            ]
            if earlier:
                yield earlier[-1], write

    def carries(self, read: StateAccess, expression: ast.AST | None) -> bool:
        """True when `expression` uses the read's result (directly or through names)."""
        if expression is None:
            return False
        derived = self._derived(read)
        return any(
            node is read.call or (isinstance(node, ast.Name) and node.id in derived)
            for node in walk(expression)
        )

    def checked_before(self, read: StateAccess, write: StateAccess) -> ast.If | None:
        """An `if` on the read's result that the write sits in, or that leaves before it - unless
        the write runs only where the read found the item: that saves over an existing item (an
        update, whose guard is the read's ETag), it does not create one twice."""
        for node in self.nodes:
            if not isinstance(node, ast.If) or not self.carries(read, node.test):
                continue
            if self._contains(node.body, write):
                runs_when = True
            elif self._contains(node.orelse, write) or (
                (node.end_lineno or node.lineno) < write.call.lineno and _leaves(node.body)
            ):
                runs_when = False
            else:
                continue
            if _found_when(node.test) != runs_when:
                return node
        return None

    @staticmethod
    def _contains(body: list[ast.stmt], write: StateAccess) -> bool:
        return any(n is write.call for stmt in body for n in walk(stmt))

    def _keyed_from(self, read: StateAccess, write: StateAccess) -> bool:
        """The write's key is the read item's own id field: read by `order.product_id`, saved
        by `updated.product_id` where `updated` is built from what was read."""
        field = _field_name(write.key_node)
        return (
            field is not None
            and field == _field_name(read.key_node)
            and self.carries(read, _field_owner(write.key_node))
        )

    def _derived(self, read: StateAccess) -> set[str]:
        """Names holding (part of) the read's value, to a fixed point."""
        if id(read.call) in self._derived_of:
            return self._derived_of[id(read.call)]
        derived: set[str] = set()
        self._derived_of[id(read.call)] = derived

        def uses(expression: ast.AST) -> bool:
            return any(
                node is read.call or (isinstance(node, ast.Name) and node.id in derived)
                for node in walk(expression)
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


def _position(access: StateAccess) -> tuple[int, int]:
    return access.call.lineno, access.call.col_offset


def _sdk_access(call: ast.Call, method: str) -> _Access | None:
    store, key = argument(call, 0, "store_name"), argument(call, 1, "key")
    if store is None or key is None:
        return None
    if method == "get_state":
        return _Access("read", ast.dump(store), key, None, False)
    guarded = _guarded(call, etag_at=3, options_at=4)
    return _Access("write", ast.dump(store), key, argument(call, 2, "value"), guarded)


def _transaction_access(call: ast.Call) -> _Access | None:
    key = argument(call, 0, "key")
    kind = argument(call, 3, "operation_type")
    if key is None or (isinstance(kind, ast.Attribute) and kind.attr == _DELETE):
        return None
    guarded = _guarded(call, etag_at=2, options_at=None)
    return _Access("write", None, key, argument(call, 1, "data"), guarded)


def _item_access(call: ast.Call) -> _Access | None:
    key = argument(call, 0, "key")
    if key is None:
        return None
    guarded = _guarded(call, etag_at=2, options_at=3)
    return _Access("write", None, key, argument(call, 1, "value"), guarded)


def _helper_access(call: ast.Call, helper: Helper) -> _Access | None:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None
    key = argument(call, *helper.key)
    if key is None:
        return None
    value = argument(call, *helper.value) if helper.value is not None else None
    return _Access(helper.kind, None, key, value, False)


def _raw_save(body: ast.expr | None) -> _Access | None:
    """`[{"key": k, "value": v}]` posted to the state API: one item, guarded by `etag` or
    `options` (first-write concurrency) in it."""
    if not (isinstance(body, ast.List) and len(body.elts) == 1):
        return None
    item = body.elts[0]
    if not isinstance(item, ast.Dict) or None in item.keys:
        return None
    fields = {
        key.value: value
        for key, value in zip(item.keys, item.values, strict=True)
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }
    if "key" not in fields:
        return None
    guarded = "etag" in fields or "options" in fields
    return _Access("write", None, fields["key"], fields.get("value"), guarded)


def _last_part(url: ast.expr | None, local: dict[str, ast.expr]) -> ast.expr | None:
    """The run-time part a URL ends with (`f"{base}/v1.0/state/store/{key}"` -> `key`)."""
    if isinstance(url, ast.Name) and url.id in local:
        url = local[url.id]
    if isinstance(url, ast.JoinedStr) and url.values:
        last = url.values[-1]
        return last.value if isinstance(last, ast.FormattedValue) else None
    if isinstance(url, ast.BinOp) and isinstance(url.op, ast.Add):
        return url.right
    return None


def _parameter_in(
    expression: ast.expr | None, parameters: list[str], local: dict[str, ast.expr]
) -> tuple[int, str] | None:
    """The one parameter an expression is built from (through the function's own names)."""
    if expression is None:
        return None
    names: set[str] = set()
    stack: list[ast.AST] = [expression]
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        for inner in walk(node):
            if isinstance(inner, ast.Name) and inner.id not in seen:
                seen.add(inner.id)
                names.add(inner.id)
                if inner.id in local and inner.id not in parameters:
                    stack.append(local[inner.id])
    used = [name for name in parameters if name in names]
    return (parameters.index(used[0]), used[0]) if len(used) == 1 else None


def _static(function: FunctionNode) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)


def _found_when(test: ast.expr) -> bool | None:
    """Whether a check on a read is true when the item was found (`if state.data`, `if order is
    not None`) or when it was not (`if not state.data`, `if order is None`); None when the test
    says something else about it (`if order["status"] == "paid"`)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _found_when(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.Await):
        return _found_when(test.value)
    if isinstance(test, ast.Compare):
        if len(test.ops) != 1:
            return None
        op, right = test.ops[0], test.comparators[0]
        if isinstance(right, ast.Constant) and right.value is None:
            return isinstance(op, ast.IsNot | ast.NotEq)
        if _is_len(test.left) and isinstance(right, ast.Constant) and right.value == 0:
            return isinstance(op, ast.Gt | ast.NotEq)
        return None
    if _is_len(test):
        return True
    return True if isinstance(test, ast.Name | ast.Attribute | ast.Call) else None


def _is_len(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _field_name(key: ast.expr) -> str | None:
    if isinstance(key, ast.Attribute):
        return key.attr
    if (
        isinstance(key, ast.Subscript)
        and isinstance(key.slice, ast.Constant)
        and isinstance(key.slice.value, str)
    ):
        return key.slice.value
    return None


def _field_owner(key: ast.expr) -> ast.expr | None:
    return key.value if isinstance(key, ast.Attribute | ast.Subscript) else None


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


def _dict_options_only(call: ast.Call, function: FunctionNode) -> bool:
    """`save_state` is given no ETag and, as `options`, a dict literal - itself, or a name the
    function only ever assigns dict literals - where concurrency would need StateOptions."""
    if argument(call, 3, "etag") is not None or any(isinstance(a, ast.Starred) for a in call.args):
        return False
    options = argument(call, 4, "options")
    if isinstance(options, ast.Dict):
        return True
    if not isinstance(options, ast.Name):
        return False
    values = [
        node.value
        for node in own_nodes(function)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == options.id for t in node.targets)
    ]
    return bool(values) and all(isinstance(value, ast.Dict) for value in values)


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
            stack.extend(reversed(children(node)))
