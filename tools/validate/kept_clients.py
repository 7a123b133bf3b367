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

A wrapper is also reported where per-event code builds it, since that is where the fix goes
(build it once, reuse it): each file adds the calls its functions make of the project's classes
and functions (`calls`, constructions carrying their finding), how its own handlers, workflow
activities and agent tools run per event (`reached`), and the imported functions it registers
as activities (`registered`). The join follows calls across modules from those entry points and
reports each construction of a class that builds a client, directly or through another wrapper
its `__init__` builds (`OneDriveService()` building a `TokenStateStore`, which builds a
`DaprClient`), unless the construction hands that client or wrapper in. A client built directly
in a function the file alone cannot judge (DAPR008 leaves it in `UNJUDGED`: a library module's
`update_inventory`) is reported the same way when such an entry point calls the function
(`clients`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping

from pydantic import BaseModel, Field

from tools.changes import Diagnostic
from tools.validate.astutil import (
    FunctionNode,
    argument,
    assigned_once,
    module_functions,
    nodes_of,
    own_nodes,
)
from tools.validate.blocking import CALL, ModulePaths, chains_in, resolve_call
from tools.validate.context import FileContext
from tools.validate.rules._reach import call_graph, per_request
from tools.validate.rules._strings import is_harness_path
from tools.validate.rules.client_per_request import (
    ACTIVITY_CALLS,
    CLIENTS,
    UNJUDGED,
    ClientPerRequest,
    client_cost,
    closed_at_once,
    framework_entries,
)

_DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends"})


class KeptClient(BaseModel):
    """A client a method of `owner` builds and keeps on the instance."""

    owner: str = Field(description="The class, defined at the module's top level.")
    client: str = Field(description="What it builds, as findings name it (`DaprClient`).")
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


class ProjectCall(BaseModel):
    """A call, in one of the file's functions or methods, of what may be a class or function of
    the project (an imported name that is no library's, or one of the file's own)."""

    function: str = Field(description="The caller: `func` or `Class.method`.")
    target: str = Field(description="The dotted path its root name stands for.")
    steps: list[str] = Field(description="Attributes after the root, the callee last.")
    positional: int = 0
    keywords: list[str] = Field(default_factory=list)
    given: tuple[int, str] | None = Field(
        default=None,
        description="In an `__init__`: the parameter whose value, when passed, replaces what "
        "the call builds (`self.http = http or HttpClient()`).",
    )
    diagnostic: Diagnostic | None = Field(
        default=None,
        description="DAPR008 at a call of what is named like a class (a construction), "
        "message completed by the join; None for a function call, followed for reach only.",
    )


class ClientSite(BaseModel):
    """A client built in a function this file shows running neither once nor per event."""

    function: str = Field(description="`func` or `Class.method`.")
    client: str = Field(description="What it builds, as findings name it (`DaprClient`).")
    diagnostic: Diagnostic = Field(description="DAPR008 at the construction; message completed.")


class Registered(BaseModel):
    """A function of another module named as a workflow activity (`register_activity(f)`)."""

    target: str
    name: str


class InstanceFacts(BaseModel):
    """What one file contributes to the cross-file kept-client check (see the module docstring)."""

    kept: list[KeptClient] = Field(default_factory=list)
    built: list[BuiltInstance] = Field(default_factory=list)
    calls: list[ProjectCall] = Field(default_factory=list)
    # Function key -> how it runs once per event, seen in this file alone.
    reached: dict[str, str] = Field(default_factory=dict)
    registered: list[Registered] = Field(default_factory=list)
    clients: list[ClientSite] = Field(default_factory=list)
    # Classes that may hand out one shared instance (`__new__`, a metaclass): building one per
    # event may build nothing new.
    shared: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.kept or self.built or self.calls or self.registered or self.clients)


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
        if _shared(owner):
            facts.shared.append(owner.name)
    dependencies = {
        target.id
        for call in nodes_of(module, ast.Call)
        if ctx.qualname(call.func) in _DEPENDS
        and call.args
        and isinstance(target := call.args[0], ast.Name)
    }
    values = assigned_once(module)
    facts.calls = _project_calls(
        ctx, rule, module, module_name=module_name, absolute=absolute, values=values
    )
    facts.registered = _registered(ctx, module, absolute)
    graph = call_graph(module)
    per_event = per_request(ctx, module, dependencies, list(framework_entries(ctx, graph)))
    keys = {id(function): _key(owner, function) for owner, function in module_functions(module)}
    facts.reached = {keys[i]: per_event[i].how for i in keys if i in per_event}
    for call, what, function in getattr(module, UNJUDGED, []):
        diagnostic = ctx.diagnostic(rule, call, within=function)
        if id(function) in keys and diagnostic is not None:
            facts.clients.append(
                ClientSite(function=keys[id(function)], client=what, diagnostic=diagnostic)
            )
    reached = per_request(ctx, module, dependencies)
    for owner, function in module_functions(module):
        how = reached.get(id(function))
        if how is None:
            continue
        chains = chains_in(ctx, absolute, values, function, owner)
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


def _key(owner: ast.ClassDef | None, function: FunctionNode) -> str:
    return f"{owner.name}.{function.name}" if owner is not None else function.name


def _project_calls(
    ctx: FileContext,
    rule: ClientPerRequest,
    module: ast.Module,
    *,
    module_name: str,
    absolute: Callable[[str], str],
    values: Mapping[str, ast.expr],
) -> list[ProjectCall]:
    """Calls of the project's own classes and functions in the module's functions and methods.

    A callee named like a class (`StateStore()`) is a construction and carries its finding,
    unless the function keeps what it built (`self.store = StateStore()` outside `__init__`, a
    global, a cache).
    """
    own = {
        s.name
        for s in module.body
        if isinstance(s, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    }
    calls: list[ProjectCall] = []
    for owner, function in module_functions(module):
        chains = chains_in(ctx, absolute, values, function, owner)
        given = _given_calls(function) if function.name == "__init__" else {}
        for node in own_nodes(function):
            if not isinstance(node, ast.Call) or ctx.qualname(node.func) in _DEPENDS:
                continue
            callee = node.func
            if isinstance(callee, ast.Name) and callee.id in own:
                chain: tuple[str, list[str]] | None = (f"{module_name}.{callee.id}", [])
            else:
                chain = chains.of(callee)
            if chain is None or CALL in chain[1]:
                continue
            target, steps = chain
            name = steps[-1] if steps else target.rpartition(".")[2]
            diagnostic = None
            if name[:1].isupper():
                # What `__init__` keeps is built per instance: the wrapper's own cost.
                kept = function.name != "__init__" and rule.keeps(node, function)
                if kept or closed_at_once(node, function):
                    continue
                diagnostic = ctx.diagnostic(rule, node, within=function)
                if diagnostic is None:
                    continue  # suppressed
            calls.append(
                ProjectCall(
                    function=_key(owner, function),
                    target=target,
                    steps=steps,
                    positional=len(node.args),
                    keywords=[k.arg for k in node.keywords if k.arg],
                    given=given.get(id(node)),
                    diagnostic=diagnostic,
                )
            )
    return calls


def _given_calls(init: FunctionNode) -> dict[int, tuple[int, str]]:
    """`id(call)` -> the `__init__` parameter that replaces it (`self.x = given or Built()`)."""
    attributes = _given_attributes(init)
    receiver = _receiver(init)
    found: dict[int, tuple[int, str]] = {}
    for node in own_nodes(init):
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.BoolOp | ast.IfExp):
            continue
        for target in node.targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == receiver
                and target.attr in attributes
            ):
                value = node.value
                branches = (
                    value.values if isinstance(value, ast.BoolOp) else [value.body, value.orelse]
                )
                found |= {id(b): attributes[target.attr] for b in branches}
    return found


def _registered(
    ctx: FileContext, module: ast.Module, absolute: Callable[[str], str]
) -> list[Registered]:
    """Imported functions the module names as workflow activities: each runs once per activity
    run, where the file defining it shows nothing of that."""
    found: list[Registered] = []
    for call in nodes_of(module, ast.Call):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in ACTIVITY_CALLS):
            continue
        activity = argument(call, 0, ACTIVITY_CALLS[func.attr])
        qualname = ctx.qualname(activity) if isinstance(activity, ast.Name) else None
        if qualname is not None and isinstance(activity, ast.Name):
            found.append(Registered(target=absolute(qualname), name=activity.id))
    return found


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
    if _shared(owner):
        return []
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
                            client=what,
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


def _shared(owner: ast.ClassDef) -> bool:
    """The class may hand out one shared instance: its own `__new__`, or a singleton
    metaclass's (`metaclass=Singleton`; an `ABCMeta` shares nothing)."""
    own_new = any(
        isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef) and m.name == "__new__"
        for m in owner.body
    )
    return own_new or any(
        keyword.arg == "metaclass" and "singleton" in ast.unparse(keyword.value).lower()
        for keyword in owner.keywords
    )


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
                if kept.owner != owner or _hands_in(built.positional, built.keywords, kept.given):
                    continue
                d = kept.diagnostic
                message = d.message.replace(
                    "is built per request",
                    f"is built per request by {built.how} ({path}:{built.line})",
                )
                findings.setdefault(
                    (where, d.line, d.column), d.model_copy(update={"message": message})
                )
    sites = _Wrappers(files, modules, by_module, types)
    for finding in sites.findings(report_in):
        findings.setdefault((finding.path, finding.line, finding.column), finding)
    return list(findings.values())


class _Wrappers:
    """The project's classes whose construction builds a client, and where per-event code
    builds them: the construction is where the fix goes (build the wrapper once, reuse it).

    A class builds a client when one of its methods keeps one (`KeptClient`) or its `__init__`
    builds another such class, each unless the construction hands it in. Per-event code is
    what a file's own handlers, activities and tools reach, the functions other files name as
    activities, and what those call across modules.
    """

    _DEPTH = 4  # wrappers of wrappers, followed this far

    def __init__(
        self,
        files: Mapping[str, InstanceFacts],
        modules: Mapping[str, str],
        by_module: ModulePaths,
        types: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.files = files
        self.modules = modules
        self.by_module = by_module
        self.types = types
        self._by_function: dict[tuple[str, str], list[ProjectCall]] = {}
        for path, facts in files.items():
            for call in facts.calls:
                self._by_function.setdefault((path, call.function), []).append(call)

    def resolve(self, path: str, target: str, steps: list[str]) -> tuple[str, str] | None:
        empty: Mapping[str, str] = {}
        found = resolve_call(
            target, steps, self.modules[path], self.by_module, lambda p: self.types.get(p, empty)
        )
        return found if found is not None and found[0] in self.files else None

    def reached(self) -> dict[tuple[str, str], str]:
        """(path, function key) -> how it runs per event, across modules."""
        reached = {
            (path, key): how
            for path, facts in self.files.items()
            for key, how in facts.reached.items()
        }
        for path, facts in self.files.items():
            for registered in facts.registered:
                found = self.resolve(path, registered.target, [])
                if found is not None:
                    how = f"the workflow activity `{found[1]}` (registered in {path})"
                    reached.setdefault(found, how)
        queue = list(reached)
        while queue:
            caller = queue.pop(0)
            for call in self._by_function.get(caller, []):
                found = (
                    None if call.diagnostic else self.resolve(caller[0], call.target, call.steps)
                )
                if found is not None and found not in reached:
                    reached[found] = f"`{found[1]}`, which {reached[caller]} calls"
                    queue.append(found)
        return reached

    def builds(
        self, path: str, owner: str, positional: int, keywords: list[str], depth: int = 0
    ) -> tuple[str, str] | None:
        """(what a construction of `owner` builds, for messages; the client) or None."""
        if owner in self.files[path].shared:
            return None
        for kept in self.files[path].kept:
            if kept.owner == owner and not _hands_in(positional, keywords, kept.given):
                where = f"{path}:{kept.diagnostic.line}"
                return f"{_article(kept.client)} {kept.client} ({where})", kept.client
        if depth >= self._DEPTH:
            return None
        for call in self._by_function.get((path, f"{owner}.__init__"), []):
            if call.diagnostic is None or _hands_in(positional, keywords, call.given):
                continue
            found = self.resolve(path, call.target, call.steps)
            inner = (
                self.builds(*found, call.positional, call.keywords, depth + 1) if found else None
            )
            if found is not None and inner is not None:
                return f"{_article(found[1])} {found[1]}, which builds {inner[0]}", inner[1]
        return None

    def findings(self, report_in: set[str]) -> Iterator[Diagnostic]:
        for (path, key), how in self.reached().items():
            if path not in report_in:
                continue
            for site in self.files[path].clients:
                if site.function == key:
                    cost = client_cost(site.client)
                    message = f"{site.client} created inside {how}, one per call: {cost}"
                    yield site.diagnostic.model_copy(update={"message": message})
            for call in self._by_function.get((path, key), []):
                found = self.resolve(path, call.target, call.steps) if call.diagnostic else None
                built = self.builds(*found, call.positional, call.keywords) if found else None
                if call.diagnostic is None or found is None or built is None:
                    continue
                what, client = built
                message = (
                    f"`{found[1]}()` builds {what} inside {how}, a new one each time: "
                    f"{client_cost(client)}"
                )
                yield call.diagnostic.model_copy(update={"message": message})


def _article(name: str) -> str:
    """`an httpx.Client`, `an HttpClient`, `an OrderStore`, `a DaprClient` (HTTP is spelt out
    letter by letter)."""
    return "an" if name.lower().startswith(("a", "e", "i", "o", "u", "http")) else "a"


def _hands_in(positional: int, keywords: list[str], given: tuple[int, str] | None) -> bool:
    """The construction passes the parameter through which the instance gets its client."""
    if given is None:
        return False
    position, name = given
    return name in keywords or 0 <= position < positional
