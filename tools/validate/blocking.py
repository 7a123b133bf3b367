"""Blocking calls across files: an `async def` calling into another module of the project.

A coroutine often reaches blocking I/O through a module of its own project: a repository class
whose methods use the synchronous DaprClient, a helper module's plain function, a service object
a factory returns. No single file shows both ends, so each file contributes `BlockingFacts`:

- what its plain functions and methods block on (`blocking`, keyed `func` or `Class.method`);
- what its names hold when that is one of its own classes or the synchronous DaprClient (`types`:
  `get_service()` -> `Service`, `Service.client` -> `dapr-sync`, `repository` -> `Repository`);
- the DAPR001 finding its `from dapr.clients import DaprClient` gets when async code elsewhere
  calls the client it holds (`client`; only when its own async code does not already);
- the calls its coroutines make through imported names (`calls`): the dotted path the root name
  is imported from, and the steps after it (`get_service`, `()`, `check_health`), with the kinds
  of the arguments they hand over (`create_task(session=db)` with `db` a synchronous session);
- the methods its plain functions call on the parameters they leave unannotated (`parameters`),
  so that a call handing such a parameter a synchronous session is seen to block on it.

The project-level check follows each call's steps through the facts of the module it names and
reports DAPR004 at the call when they end on a blocking function, and DAPR001 at the client
module's import when they end on a method of the client it holds. Only names the target module
itself defines are followed: anything else stays quiet.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import cast

from pydantic import BaseModel, Field

from tools.changes import Diagnostic
from tools.validate.astutil import (
    FunctionNode,
    assigned_once,
    bound_once,
    module_functions,
    nodes_of,
    own_nodes,
    walk,
)
from tools.validate.context import FileContext
from tools.validate.instances import Instances, Kind, instances_of
from tools.validate.rules._reach import CallGraph, before_serving, call_graph
from tools.validate.rules._strings import is_harness_path
from tools.validate.rules.blocking_io import (
    DEPTH,
    BlockingCallInAsync,
    BlockingMemo,
    blocking_method,
    helper_blocks,
    open_parameters,
    plain_function,
)
from tools.validate.rules.sync_client import (
    SYNC_CLIENTS,
    SyncDaprClient,
    async_uses,
    one_shot_script,
)

CALL = "()"  # the step of calling what the steps so far name
DAPR_SYNC = "dapr-sync"  # the `types` entry of a name holding the synchronous DaprClient
# Imported roots that are never a project module.
_FOREIGN = frozenset({*sys.stdlib_module_names, "dapr", "fastapi", "pydantic", "starlette"})
_MAX_STEPS = 8


class ImportedCall(BaseModel):
    """A call an `async def` makes through an imported name, with its finding if it blocks."""

    target: str = Field(description="The dotted path its root name is imported from.")
    steps: list[str] = Field(description="Attributes and calls after the root, the callee last.")
    coroutine: str
    handed: dict[str, str] = Field(
        default_factory=dict,
        description="Kinds of the arguments, by position ('0') or keyword.",
    )
    diagnostic: Diagnostic = Field(description="DAPR004 at the call; the message is completed.")


class ParameterUses(BaseModel):
    """The unannotated parameters of a plain function and the methods it calls on them."""

    positional: list[str | None] = Field(
        description="The positional parameters a call fills, None for an annotated one."
    )
    methods: dict[str, list[str]]


class BlockingFacts(BaseModel):
    """What one file contributes to the cross-file blocking check (see the module docstring)."""

    blocking: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, ParameterUses] = Field(default_factory=dict)
    types: dict[str, str] = Field(default_factory=dict)
    client: Diagnostic | None = None
    calls: list[ImportedCall] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.blocking or self.parameters or self.calls or self.client)


def blocking_facts(
    ctx: FileContext, module: ast.Module, absolute: Callable[[str], str]
) -> BlockingFacts:
    """The facts of one file, read after the traversal (every import is known by then).

    `absolute` turns an imported dotted path (`..client.get_service`) into the project's.
    """
    instances = instances_of(ctx, module)
    graph = call_graph(module)
    facts = BlockingFacts()
    _note_definitions(facts, instances, graph, module)
    script = one_shot_script(ctx, module)
    coroutines = [coroutine for _, coroutine in _with_classes(module)]
    holds_client = DAPR_SYNC in facts.types.values() and SyncDaprClient.id not in ctx.disabled
    # A file whose own async code uses its client has DAPR001 already.
    if holds_client and not any(async_uses(instances, coroutine) for coroutine in coroutines):
        facts.client = _client_finding(ctx, module)
    # Tests and benchmarks drive a service from outside: their loop serves no one else.
    if script or BlockingCallInAsync.id in ctx.disabled or is_harness_path(ctx.path):
        return facts
    rule = BlockingCallInAsync(ctx)
    values = assigned_once(module)
    for owner, coroutine in _with_classes(module):
        chains = chains_in(ctx, absolute, values, coroutine, owner)
        awaited = {id(n.value) for n in own_nodes(coroutine) if isinstance(n, ast.Await)}
        if before_serving(ctx, coroutine):
            continue
        for call in own_nodes(coroutine):
            if not isinstance(call, ast.Call) or id(call) in awaited:
                continue
            if graph.callee(call.func, coroutine) is not None:
                continue  # a function of this file: the rule itself judged it
            chain = chains.of(call.func)
            if chain is None:
                continue
            diagnostic = ctx.diagnostic(rule, call, within=coroutine)
            if diagnostic is not None:
                target, steps = chain
                facts.calls.append(
                    ImportedCall(
                        target=target,
                        steps=steps,
                        coroutine=coroutine.name,
                        handed=_handed(call, instances, instances.at(coroutine)),
                        diagnostic=diagnostic,
                    )
                )
    return facts


def _note_definitions(
    facts: BlockingFacts, instances: Instances, graph: CallGraph, module: ast.Module
) -> None:
    """`blocking` and `types` of the module's own functions, classes and names."""
    classes = {s.name for s in module.body if isinstance(s, ast.ClassDef)}
    memo: BlockingMemo = {}
    for owner_class, function in module_functions(module):
        owner = owner_class.name if owner_class else ""
        key = f"{owner}.{function.name}" if owner else function.name
        blocks = helper_blocks(function, instances, graph, memo, DEPTH)
        if blocks is not None:
            facts.blocking[key] = blocks.described()
        elif plain_function(function):
            uses = _parameter_uses(function, method=owner_class is not None)
            if uses is not None:
                facts.parameters[key] = uses
        returned = _class_named(function.returns, classes)
        if returned is not None:
            facts.types[f"{key}{CALL}"] = returned
        if owner and _is_property(function) and _returns_client(function, instances):
            facts.types[key] = DAPR_SYNC
        if owner:
            bindings = instances.at(function)
            for name, kind in bindings.items():
                receiver, _, attribute = name.partition(".")
                if attribute and kind == "dapr-sync" and receiver == _receiver(function):
                    facts.types[f"{owner}.{attribute}"] = DAPR_SYNC
    for name in classes:
        facts.types[f"{name}{CALL}"] = name
    module_bindings = instances.at(None)
    for name, value in assigned_once(module).items():
        if module_bindings.get(name) == "dapr-sync":
            facts.types[name] = DAPR_SYNC
        elif isinstance(value, ast.Call):
            constructed = _class_named(value.func, classes)
            if constructed is not None:
                facts.types[name] = constructed


def _parameter_uses(function: FunctionNode, *, method: bool) -> ParameterUses | None:
    """The methods the function calls on its unannotated parameters, if it calls any."""
    positional = open_parameters(function, method=method)
    open_names = {name for name in positional if name is not None} | {
        a.arg for a in function.args.kwonlyargs if a.annotation is None
    }
    methods: dict[str, set[str]] = {}
    for node in own_nodes(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in open_names
        ):
            methods.setdefault(node.func.value.id, set()).add(node.func.attr)
    if not methods:
        return None
    return ParameterUses(
        positional=positional, methods={name: sorted(found) for name, found in methods.items()}
    )


def _handed(call: ast.Call, instances: Instances, bindings: dict[str, Kind]) -> dict[str, str]:
    """The kinds of the call's arguments that have one, by position or keyword."""
    given = [(str(index), value) for index, value in enumerate(call.args)]
    given += [(k.arg, k.value) for k in call.keywords if k.arg is not None]
    return {
        where: kind
        for where, value in given
        if not isinstance(value, ast.Starred)
        and (kind := instances.kind_of(value, bindings)) is not None
    }


def _handed_blocks(call: ImportedCall, uses: ParameterUses | None) -> str | None:
    """What the callee blocks on through a parameter the call hands a blocking value."""
    if uses is None:
        return None
    for where, kind in call.handed.items():
        index = int(where) if where.isdigit() else None
        if index is not None:
            name = uses.positional[index] if index < len(uses.positional) else None
        else:
            name = where
        for method in uses.methods.get(name or "", []):
            what = blocking_method(cast(Kind, kind), method)
            if what is not None:
                return f"{what}, handed to it as `{name}`"
    return None


def _with_classes(module: ast.Module) -> Iterator[tuple[ast.ClassDef | None, ast.AsyncFunctionDef]]:
    for owner, function in module_functions(module):
        if isinstance(function, ast.AsyncFunctionDef):
            yield owner, function


def _class_named(node: ast.expr | None, classes: set[str]) -> str | None:
    """The module's own class an annotation or callee names (`Service`, `"Service"`,
    `Optional[Service]`, `Service | None`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if node.value in classes else None
    if isinstance(node, ast.Name):
        return node.id if node.id in classes else None
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Tuple):
        return _class_named(node.slice, classes)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _class_named(node.left, classes) or _class_named(node.right, classes)
    return None


def _is_property(function: FunctionNode) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "property" for d in function.decorator_list)


def _returns_client(function: FunctionNode, instances: Instances) -> bool:
    """A property declared to return the synchronous client, or returning one it holds."""
    if instances.annotation_kind(function.returns) == "dapr-sync":
        return True
    returns = [n for n in own_nodes(function) if isinstance(n, ast.Return)]
    return (
        len(returns) == 1
        and returns[0].value is not None
        and instances.kind_of(returns[0].value, instances.at(function)) == "dapr-sync"
    )


def _receiver(function: FunctionNode) -> str:
    positional = [*function.args.posonlyargs, *function.args.args]
    return positional[0].arg if positional else ""


def _client_finding(ctx: FileContext, module: ast.Module) -> Diagnostic | None:
    """DAPR001 at the file's `from dapr.clients import DaprClient`, wherever in the file it is."""
    for node in nodes_of(module, ast.ImportFrom):
        if node.level == 0 and node.module:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in SYNC_CLIENTS:
                    return ctx.diagnostic(SyncDaprClient(ctx), alias)
    return None


class Chains:
    """The imported root and steps a callee expression stands for inside one function.

    Names are followed through their one assignment in the function or at module level, and
    `self.<attribute>` through its one assignment in the class: `svc = get_service()` then
    `svc.check()` is `get_service`, `()`, `check`. A parameter annotated with an imported class
    (`store: Store = Depends(get_store)`) holds an instance of it: `Store`, `()`.
    """

    def __init__(
        self,
        ctx: FileContext,
        absolute: Callable[[str], str],
        values: Mapping[str, ast.expr],
        function: FunctionNode,
        owner: ast.ClassDef | None,
    ) -> None:
        self.ctx = ctx
        self.absolute = absolute
        self.values = values
        self.owner = owner
        self.local = _chain_locals(function)
        self.receiver = _receiver(function) if owner is not None else ""
        self.attributes = _attribute_values(owner, self.receiver) if owner is not None else {}
        # id(callee) -> (callee, its chain): the facts of a file follow the same calls.
        self._known: dict[int, tuple[ast.expr, tuple[str, list[str]] | None]] = {}

    def of(self, node: ast.expr) -> tuple[str, list[str]] | None:
        known = self._known.get(id(node))
        if known is None or known[0] is not node:
            known = self._known[id(node)] = (node, self._of(node, 0))
        chain = known[1]
        return (chain[0], list(chain[1])) if chain is not None else None

    def _of(self, node: ast.expr, depth: int) -> tuple[str, list[str]] | None:
        if depth > _MAX_STEPS:
            return None
        if isinstance(node, ast.Call):
            inner = self._of(node.func, depth + 1)
            return (inner[0], [*inner[1], CALL]) if inner is not None else None
        if isinstance(node, ast.Attribute):
            value = node.value
            if isinstance(value, ast.Name) and value.id == self.receiver:
                assigned = self.attributes.get(node.attr)
                return self._of(assigned, depth + 1) if assigned is not None else None
            inner = self._of(value, depth + 1)
            return (inner[0], [*inner[1], node.attr]) if inner is not None else None
        if not isinstance(node, ast.Name):
            return None
        assigned = self.local.get(node.id)
        if assigned is None and node.id not in self.local:
            assigned = self.values.get(node.id)
        if assigned is not None:
            return self._of(assigned, depth + 1)
        return self._imported(node)

    def _imported(self, node: ast.Name) -> tuple[str, list[str]] | None:
        qualname = self.ctx.qualname(node)
        if qualname is None:
            return None
        target = self.absolute(qualname)
        if target.partition(".")[0] in _FOREIGN:
            return None
        return target, []


def chains_in(
    ctx: FileContext,
    absolute: Callable[[str], str],
    values: Mapping[str, ast.expr],
    function: FunctionNode,
    owner: ast.ClassDef | None,
) -> Chains:
    """The `Chains` of `function`, made once for the same context, values and class and kept on
    the node: the blocking, state, quiet and kept-client facts each follow the function's calls."""
    kept: list[Chains] = function.__dict__.setdefault(_CHAINS, [])
    for chains in kept:
        if (
            chains.ctx is ctx
            and chains.absolute is absolute
            and chains.values is values
            and chains.owner is owner
        ):
            return chains
    chains = Chains(ctx, absolute, values, function, owner)
    kept.append(chains)
    return chains


_CHAINS = "_daprdev_chains"


def _chain_locals(function: FunctionNode) -> Mapping[str, ast.expr | None]:
    """The function's own names and what each holds (None: unknown), its parameters included;
    worked out once and kept on the node (the facts build chains for a function several times)."""
    cached: dict[str, ast.expr | None] | None = getattr(function, _CHAIN_LOCALS, None)
    if cached is None:
        cached = bound_once(_local_bindings(function))
        arguments = function.args
        for parameter in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            # A parameter holds whatever the caller passes, unless its annotation says what.
            held = _annotated_class(parameter.annotation)
            cached[parameter.arg] = ast.Call(held, [], []) if held is not None else None
        setattr(function, _CHAIN_LOCALS, cached)
    return cached


_CHAIN_LOCALS = "_daprdev_chain_locals"


def _annotated_class(annotation: ast.expr | None) -> ast.expr | None:
    """The class an annotation names: `Store`, `mod.Store`, `Optional[Store]`, `Store | None`,
    `Annotated[Store, Depends(...)]`; None for anything else (a string, a union of classes)."""
    if isinstance(annotation, ast.Name | ast.Attribute):
        return annotation
    if isinstance(annotation, ast.Subscript):
        wrapper = (
            annotation.value.attr
            if isinstance(annotation.value, ast.Attribute)
            else (annotation.value.id if isinstance(annotation.value, ast.Name) else "")
        )
        inner = annotation.slice
        if wrapper == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
            return _annotated_class(inner.elts[0])
        return _annotated_class(inner) if wrapper == "Optional" else None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
        return _annotated_class(sides[0]) if len(sides) == 1 else None
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _local_bindings(function: FunctionNode) -> Iterator[tuple[str, ast.expr | None]]:
    """The function's bindings for `bound_once`, stricter than `single_assignments`: a chain is
    followed only through a plain `name = value`. The names an annotated, augmented or walrus
    assignment, a loop or a `with` binds (each name of an unpacked target) are unknown, which
    hides the module's value of the same name; `a = b = value` and `a, b = value` are not read."""
    for node in own_nodes(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                yield target.id, node.value
        elif isinstance(
            node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor | ast.NamedExpr
        ):
            yield from _unknown(node.target)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    yield from _unknown(item.optional_vars)


def _unknown(target: ast.expr) -> Iterator[tuple[str, None]]:
    for name in walk(target):
        if isinstance(name, ast.Name):
            yield name.id, None


def _attribute_values(owner: ast.ClassDef, receiver: str) -> dict[str, ast.expr]:
    """`self.<attribute>` -> its value, for attributes the class assigns exactly once (worked
    out once per class and receiver name: every method's chains ask)."""
    cached: dict[str, dict[str, ast.expr]] = owner.__dict__.setdefault(_ATTRIBUTE_VALUES, {})
    if receiver not in cached:
        cached[receiver] = _assigned_attributes(owner, receiver)
    return cached[receiver]


_ATTRIBUTE_VALUES = "_daprdev_attribute_values"


def _assigned_attributes(owner: ast.ClassDef, receiver: str) -> dict[str, ast.expr]:
    values: dict[str, ast.expr | None] = {}
    for method in owner.body:
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in own_nodes(method):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == receiver
                    ):
                        values[target.attr] = node.value if target.attr not in values else None
    return {name: value for name, value in values.items() if value is not None}


# -- the project-level join ------------------------------------------------------------------------


def blocking_findings(
    files: Mapping[str, BlockingFacts],
    modules: Mapping[str, str],
    *,
    report_in: set[str],
    disabled: set[str],
) -> list[Diagnostic]:
    """DAPR004 at calls into blocking project functions, DAPR001 at clients used from async code.

    `files` maps each path to its facts and `modules` each path to its dotted module name.
    """
    by_module = ModulePaths({modules[path]: path for path in files})

    def types_of(path: str) -> Mapping[str, str]:
        return files[path].types

    findings: list[Diagnostic] = []
    # Client module -> the first async use of its client found elsewhere, for the message.
    clients: dict[str, tuple[ImportedCall, str]] = {}
    for path in report_in & files.keys():
        for call in files[path].calls:
            found = resolve_call(call.target, call.steps, modules[path], by_module, types_of)
            if found is None:
                continue
            where, key = found
            ending = key if key == DAPR_SYNC else files[where].blocking.get(key)
            if ending is None:
                ending = _handed_blocks(call, files[where].parameters.get(key))
            if ending is None:
                continue
            if ending == DAPR_SYNC:
                if SyncDaprClient.id not in disabled:
                    clients.setdefault(where, (call, path))
                continue
            if BlockingCallInAsync.id not in disabled:
                callee = ".".join(s for s in call.steps if s != CALL) or call.target
                message = (
                    f"`{callee.rpartition('.')[2]}()` ({where}) blocks the event loop inside "
                    f"`async def {call.coroutine}`: it calls {ending}"
                )
                findings.append(call.diagnostic.model_copy(update={"message": message}))
    for path in sorted(clients.keys() & report_in):
        client = files[path].client
        if client is not None:
            use, user = clients[path]
            message = (
                f"the synchronous dapr.clients.DaprClient this module holds is called inside "
                f"`async def {use.coroutine}` ({user}:{use.diagnostic.line}): every call "
                "blocks the event loop"
            )
            findings.append(client.model_copy(update={"message": message}))
    return findings


def call_text(target: str, steps: list[str]) -> str:
    """How a call through an imported name reads: `svc.client.get_service().check`."""
    return target + "".join(step if step == CALL else f".{step}" for step in steps)


def resolve_call(
    target: str,
    steps: list[str],
    importer: str,
    by_module: ModulePaths,
    types_of: Callable[[str], Mapping[str, str]],
) -> tuple[str, str] | None:
    """(path of the module a call through an imported name ends in, the callee's key there:
    `func`, `Class.method`, or DAPR_SYNC for a method of the client it holds), or None.

    `by_module` finds each known module's path and `types_of` maps a path to its `types`.
    """
    parts = target.split(".")
    for split in range(len(parts), 0, -1):
        path = by_module.path_of(".".join(parts[:split]), importer)
        if path is not None:
            key = _callee(types_of(path), [*parts[split:], *steps])
            return (path, key) if key is not None else None
    return None


class ModulePaths:
    """The project's modules by every dotted suffix of their names: an import names a module by
    its full name from an import root that may be a subfolder (`src.x` in `backend/src/x.py`).

    Built once per project join: each imported call asks, and a tree has thousands of modules.
    """

    def __init__(self, by_module: Mapping[str, str]) -> None:
        self._paths = by_module
        self._by_suffix: dict[str, list[str]] = {}
        for name in by_module:
            parts = name.split(".")
            for start in range(len(parts)):
                self._by_suffix.setdefault(".".join(parts[start:]), []).append(name)

    def path_of(self, module: str, importer: str) -> str | None:
        """The file of `module`; of several matches, the one under the importer's own root."""
        candidates = self._by_suffix.get(module, [])
        near = [name for name in candidates if importer.startswith(name[: len(name) - len(module)])]
        chosen = near if near else candidates
        return self._paths[chosen[0]] if len(chosen) == 1 else None


def _callee(types: Mapping[str, str], steps: list[str]) -> str | None:
    """The key of the function the steps call, following what the module's names hold."""
    owner = ""
    index = 0
    while index < len(steps):
        key = f"{owner}.{steps[index]}" if owner else steps[index]
        if index == len(steps) - 1:
            return key
        if steps[index + 1] == CALL:
            key, index = f"{key}{CALL}", index + 1
        held = types.get(key)
        if held is None:
            return None
        if held == DAPR_SYNC:
            # A method called on the held client blocks; the client module gets DAPR001.
            return DAPR_SYNC if index + 1 == len(steps) - 1 else None
        owner, index = held, index + 1
    return None
