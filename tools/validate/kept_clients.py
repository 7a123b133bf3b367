"""Clients kept per instance, where the instances are built per request (DAPR008 across files).

A class that builds its client in `__init__`, or lazily on first use, and keeps it on `self` builds
it once per instance: once for the process when the instance is shared, once per request when a
route builds a new instance each time (`service = StateService()` in the handler, or
`service: StateService = Depends()`, which FastAPI calls for every request). The class and its
callers usually live in different modules, so each file contributes `InstanceFacts`:

- the clients its classes keep on their instances (`kept`), each with the DAPR008 finding at the
  construction and the `__init__` parameter through which a caller may hand one in instead;
- the classes its per-request functions (handlers, FastAPI dependencies, dapr.ext.grpc callbacks
  and what they call in the file) instantiate (`built`), through imported names or its own
  classes, with the arguments each construction passes.

The project-level check follows each construction to the class it names and reports the kept
client there, naming the route that builds the instance. A construction that hands the client
in, a class that cannot be followed, or one built only at module level, keeps it quiet.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping

from pydantic import BaseModel, Field

from tools.changes import Diagnostic
from tools.validate.astutil import (
    FunctionNode,
    assigned_once,
    module_functions,
    nodes_of,
    own_nodes,
)
from tools.validate.blocking import CALL, Chains, ModulePaths, resolve_call
from tools.validate.context import FileContext
from tools.validate.rules._reach import per_request
from tools.validate.rules._strings import is_harness_path
from tools.validate.rules.client_per_request import CLIENTS, ClientPerRequest, client_cost

_DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends"})


class KeptClient(BaseModel):
    """A client a method of `owner` builds and keeps on the instance."""

    owner: str = Field(description="The class, defined at the module's top level.")
    given: tuple[int, str] | None = Field(
        default=None,
        description="Position (self excluded) and name of the `__init__` parameter that may "
        "hand the instance its client instead.",
    )
    diagnostic: Diagnostic = Field(description="DAPR008 at the construction; message completed.")


class BuiltInstance(BaseModel):
    """A class instantiated once per request: the callee and the arguments it is given."""

    target: str = Field(description="The dotted path its root name stands for.")
    steps: list[str] = Field(description="Attributes after the root, the class last.")
    function: str
    how: str = Field(description="How the function runs per request, for messages.")
    line: int
    positional: int = 0
    keywords: list[str] = Field(default_factory=list)


class InstanceFacts(BaseModel):
    """What one file contributes to the cross-file kept-client check (see the module docstring)."""

    kept: list[KeptClient] = Field(default_factory=list)
    built: list[BuiltInstance] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.kept or self.built)


def instance_facts(
    ctx: FileContext, module: ast.Module, module_name: str, absolute: Callable[[str], str]
) -> InstanceFacts:
    """The facts of one file; `absolute` turns an imported dotted path into the project's."""
    facts = InstanceFacts()
    if ClientPerRequest.id in ctx.disabled or is_harness_path(ctx.path):
        return facts
    rule = ClientPerRequest(ctx)
    classes = {s.name: s for s in module.body if isinstance(s, ast.ClassDef)}
    for owner in classes.values():
        facts.kept += _kept_clients(ctx, rule, owner)
    dependencies = {
        target.id
        for call in nodes_of(module, ast.Call)
        if ctx.qualname(call.func) in _DEPENDS
        and call.args
        and isinstance(target := call.args[0], ast.Name)
    }
    reached = per_request(ctx, module, dependencies)
    if not reached:
        return facts
    values = assigned_once(module)
    for owner, function in module_functions(module):
        how = reached.get(id(function))
        if how is None:
            continue
        chains = Chains(ctx, absolute, values, function, owner)
        for callee, call in _constructions(ctx, function):
            if isinstance(callee, ast.Name) and callee.id in classes:
                chain: tuple[str, list[str]] | None = (f"{module_name}.{callee.id}", [])
            else:
                chain = chains.of(callee)
            if chain is None or CALL in chain[1]:
                continue  # what a call returns is built elsewhere
            facts.built.append(
                BuiltInstance(
                    target=chain[0],
                    steps=chain[1],
                    function=function.name,
                    how=how.how,
                    line=(call or callee).lineno,
                    positional=len(call.args) if call is not None else 0,
                    keywords=[k.arg for k in call.keywords if k.arg] if call is not None else [],
                )
            )
    return facts


def _constructions(
    ctx: FileContext, function: FunctionNode
) -> Iterator[tuple[ast.expr, ast.Call | None]]:
    """What the function may instantiate: each call's callee (with the call), and the class a
    FastAPI dependency builds per request (`svc: Service = Depends()`, `Depends(Service)`;
    no call: FastAPI passes what it resolves itself)."""
    for node in own_nodes(function):
        if isinstance(node, ast.Call) and ctx.qualname(node.func) not in _DEPENDS:
            yield node.func, node
    arguments = function.args
    parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    defaults = [*arguments.defaults, *arguments.kw_defaults]
    for parameter, default in zip(parameters[::-1], defaults[::-1], strict=False):
        if not (isinstance(default, ast.Call) and ctx.qualname(default.func) in _DEPENDS):
            continue
        if default.args:
            yield default.args[0], None
        elif parameter.annotation is not None:
            yield _dependency_class(parameter.annotation), None
    for parameter in parameters:
        annotation = parameter.annotation
        if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple):
            first, *metadata = annotation.slice.elts
            for item in metadata:  # `Annotated[Service, Depends()]`
                if isinstance(item, ast.Call) and ctx.qualname(item.func) in _DEPENDS:
                    yield (item.args[0] if item.args else _dependency_class(first)), None


def _dependency_class(annotation: ast.expr) -> ast.expr:
    """`Service` for `Service`, `Service | None` and `Optional[Service]`."""
    if isinstance(annotation, ast.BinOp):
        return annotation.left
    if isinstance(annotation, ast.Subscript):
        return annotation.slice
    return annotation


def _kept_clients(
    ctx: FileContext, rule: ClientPerRequest, owner: ast.ClassDef
) -> list[KeptClient]:
    """Clients the class's methods build and assign to an attribute of the instance."""
    methods = [m for m in owner.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
    if any(m.name == "__new__" for m in methods):
        return []  # the class may hand out one shared instance
    init = next((m for m in methods if m.name == "__init__"), None)
    given = _given_attributes(init) if init is not None else {}
    kept = []
    for method in methods:
        if _static(method):
            continue
        receiver = _receiver(method)
        for node in own_nodes(method):
            if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            attribute = next(
                (
                    t.attr
                    for t in targets
                    if isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == receiver
                ),
                None,
            )
            for call in _built_clients(ctx, node.value) if attribute else []:
                what = CLIENTS[ctx.qualname(call.func) or ""]
                message = (
                    f"{what} created in `{owner.name}.{method.name}` and kept on the instance, "
                    f"but `{owner.name}` is built per request: {client_cost(what)}"
                )
                diagnostic = ctx.diagnostic(rule, call, message, within=method)
                if diagnostic is not None:
                    kept.append(
                        KeptClient(
                            owner=owner.name,
                            given=given.get(attribute or ""),
                            diagnostic=diagnostic,
                        )
                    )
    return kept


def _built_clients(ctx: FileContext, value: ast.expr) -> list[ast.Call]:
    """The client constructions a value assigned to the attribute evaluates: the value itself,
    or a branch of `given or DaprClient()` / `given if given else DaprClient()`."""
    branches = (
        value.values
        if isinstance(value, ast.BoolOp)
        else [value.body, value.orelse]
        if isinstance(value, ast.IfExp)
        else [value]
    )
    return [
        b for b in branches if isinstance(b, ast.Call) and (ctx.qualname(b.func) or "") in CLIENTS
    ]


def _given_attributes(init: FunctionNode) -> dict[str, tuple[int, str]]:
    """Attribute -> the `__init__` parameter assigned to it (`self.client = client`, `client or
    DaprClient()`): a caller passing it hands the instance its client."""
    positional = [*init.args.posonlyargs, *init.args.args][1:]
    parameters = {p.arg: (index, p.arg) for index, p in enumerate(positional)}
    parameters |= {p.arg: (-1, p.arg) for p in init.args.kwonlyargs}
    receiver = _receiver(init)
    found: dict[str, tuple[int, str]] = {}
    for node in own_nodes(init):
        if not isinstance(node, ast.Assign):
            continue
        value = node.value
        first = value.values[0] if isinstance(value, ast.BoolOp) else value
        if not (isinstance(first, ast.Name) and first.id in parameters):
            continue
        for target in node.targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == receiver
            ):
                found[target.attr] = parameters[first.id]
    return found


def _static(method: FunctionNode) -> bool:
    names = {ast.unparse(d) for d in method.decorator_list}
    return bool(names & {"staticmethod", "classmethod"})


def _receiver(method: FunctionNode) -> str:
    positional = [*method.args.posonlyargs, *method.args.args]
    return positional[0].arg if positional else ""


# -- the project-level join ------------------------------------------------------------------------


def kept_client_findings(
    files: Mapping[str, InstanceFacts],
    modules: Mapping[str, str],
    types: Mapping[str, Mapping[str, str]],
    *,
    report_in: set[str],
) -> list[Diagnostic]:
    """DAPR008 at the kept clients, in `report_in`, of classes some route builds per request.

    `files` maps paths to their facts, `modules` every known path to its module, `types` paths
    to what their names hold.
    """
    by_module = ModulePaths({module: path for path, module in modules.items()})
    empty: Mapping[str, str] = {}
    findings: dict[tuple[str, int, int], Diagnostic] = {}
    for path in sorted(files):
        for built in files[path].built:
            found = resolve_call(
                built.target, built.steps, modules[path], by_module, lambda p: types.get(p, empty)
            )
            if found is None or found[0] not in report_in or found[0] not in files:
                continue
            where, owner = found
            for kept in files[where].kept:
                if kept.owner != owner or _hands_in(built, kept.given):
                    continue
                d = kept.diagnostic
                message = d.message.replace(
                    "is built per request",
                    f"is built per request by {built.how} ({path}:{built.line})",
                )
                findings.setdefault(
                    (where, d.line, d.column), d.model_copy(update={"message": message})
                )
    return list(findings.values())


def _hands_in(built: BuiltInstance, given: tuple[int, str] | None) -> bool:
    """The construction passes the parameter through which the instance gets its client."""
    if given is None:
        return False
    position, name = given
    return name in built.keywords or 0 <= position < built.positional
