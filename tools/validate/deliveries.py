"""What one file tells about how Dapr reaches the app: typed facts, joined across files later.

A handler's delivery semantics only matter if Dapr delivers to it, and that is often declared in
another file: a programmatic `/dapr/subscribe` listing routes served by routers elsewhere, a
Subscription YAML, an input binding's component, a job scheduled in a startup module. Each file
therefore contributes `DeliveryFacts`: the POST routes it serves (with the findings that hold only
if Dapr delivers there), the routers it includes and where, the routes it declares to Dapr, and the
jobs it schedules. `tools.validate.project` joins every file's facts into findings. Facts are plain
data so `daprdev check` can cache them beside each file's own findings.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from tools import safe_yaml
from tools.changes import Diagnostic
from tools.validate.astutil import (
    FunctionNode,
    argument,
    assigned_once,
    const_str,
    keyword,
    nodes_of,
    own_nodes,
)
from tools.validate.blocking import CALL, BlockingFacts, blocking_facts, chains_in
from tools.validate.context import REQUEST_TYPES, DeliveryKind, FileContext
from tools.validate.envelopes import EnvelopeFacts, envelope_facts
from tools.validate.excerpt import excerpt
from tools.validate.kept_clients import InstanceFacts, instance_facts
from tools.validate.payload_reads import PayloadReadFacts, payload_read_facts
from tools.validate.quiet_helpers import Callee, QuietFacts, quiet_facts
from tools.validate.rules._reach import before_serving, call_graph, per_message
from tools.validate.state_helpers import StateFacts, state_facts
from tools.validate.unawaited import CoroutineFacts, coroutine_facts

# The rule reporting a declared route nothing serves (tools/validate/rules/unserved_route.py).
UNSERVED_RULE = "DAPR030"
AppKind = Literal["fastapi", "router", "flask", "other"]


class Deferred(BaseModel):
    """A finding of a delivery rule that holds only if Dapr delivers `kinds` to the route."""

    kinds: list[DeliveryKind]
    diagnostic: Diagnostic


class ServedRoute(BaseModel):
    """A route answering POST; `path` has its router's own prefix, not where it is mounted."""

    owner: str = Field(description="Reference of the app or router it is declared on.")
    path: str
    function: str
    deferred: list[Deferred] = Field(default_factory=list)
    # An imported function whose answer the route returns, handed the route's request
    # (`return await handle_order(request)`), or one it awaits with the request's body before it
    # answers SUCCESS (`await process_order(data)`): its deferred findings hold where this
    # route's do.
    delegate: Callee | None = None


class Mount(BaseModel):
    """`parent.include_router(child, prefix=...)` or `parent.mount(prefix, child)`."""

    parent: str
    child: str
    prefix: str


class Site(BaseModel):
    """Where something is declared, to report it there."""

    path: str
    line: int
    column: int = 1
    end_line: int
    end_column: int = 1
    excerpt: str = ""
    suppressed: bool = False


class Declared(BaseModel):
    """A route Dapr will POST to, and where it is declared."""

    kind: DeliveryKind
    path: str
    site: Site
    scopes: list[str] = Field(
        default_factory=list, description="The app ids a scoped Subscription reaches; empty: all."
    )


class ScheduledJob(BaseModel):
    """A job scheduled with the SDK: its trigger needs `POST /job/<name>` or a gRPC job_event."""

    name: str
    unhandled: Diagnostic


class JobCallback(ServedRoute):
    """A route shaped like a job trigger callback (any method), with the finding that holds if
    it is not where daprd delivers triggers."""

    methods: list[str]
    misplaced: Diagnostic


class DeliveryFacts(BaseModel):
    """Everything one file contributes to the project-level delivery check."""

    module: str = ""
    apps: dict[str, AppKind] = Field(default_factory=dict)
    routes: list[ServedRoute] = Field(default_factory=list)
    mounts: list[Mount] = Field(default_factory=list)
    declared: list[Declared] = Field(default_factory=list)
    # A package's re-exports (`from .events import router as events_router` in `__init__.py`):
    # name -> the `module:name` it stands for, so includes through the package resolve.
    exports: dict[str, str] = Field(default_factory=dict)
    jobs: list[ScheduledJob] = Field(default_factory=list)
    job_events: list[str] = Field(default_factory=list)
    job_callbacks: list[JobCallback] = Field(default_factory=list)
    # True when routes are registered in ways the facts cannot follow (add_api_route, an include
    # of an expression): the project is then not known well enough to say a route is unserved.
    open_world: bool = False
    # A one-shot script (`if __name__ == "__main__"` or a module-level `asyncio.run`) with no app.
    script: bool = False
    # Lines (first, last) of the startup and shutdown hooks and the lifespan: the server awaits
    # them before the first request and after the last, so blocking there stalls no delivery.
    serving_hooks: list[tuple[int, int]] = Field(default_factory=list)
    # What blocks in this file and what its coroutines call elsewhere (tools.validate.blocking).
    blocking: BlockingFacts | None = None
    # Its state helpers and the state findings its calls of other modules' helpers would have
    # (tools.validate.state_helpers).
    state: StateFacts | None = None
    # Its helpers that swallow failures and its handlers' calls of other modules' helpers
    # (tools.validate.quiet_helpers).
    quiet: QuietFacts | None = None
    # The clients its classes keep per instance and the classes its routes build per request
    # (tools.validate.kept_clients).
    instances: InstanceFacts | None = None
    # Its coroutine functions and its calls of other modules' functions whose result goes
    # nowhere (tools.validate.unawaited).
    coroutines: CoroutineFacts | None = None
    # Its envelope models and its deliveries' bodies typed by imported models
    # (tools.validate.envelopes).
    envelopes: EnvelopeFacts | None = None
    # Its payload-reading functions and its catch-alls around imported calls
    # (tools.validate.payload_reads).
    payload_reads: PayloadReadFacts | None = None
    # The delivery findings of its functions handed nothing but a route's request or payload,
    # by function name (`FileContext.delegates`, `payload_delegates`): they hold when a
    # delivered route of another module delegates to the function (`ServedRoute.delegate`).
    delegates: dict[str, list[Deferred]] = Field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (
            self.apps
            or self.routes
            or self.mounts
            or self.declared
            or self.exports
            or self.jobs
            or self.job_events
            or self.job_callbacks
            or self.script
            or self.serving_hooks
            or self.blocking is not None
            or self.open_world
            or self.state is not None
            or self.quiet is not None
            or self.instances is not None
            or self.coroutines is not None
            or self.envelopes is not None
            or self.payload_reads is not None
            or self.delegates
        )


def module_name(path: str) -> str:
    """The dotted module a project file is (`svc/app/api/__init__.py` -> `svc.app.api`)."""
    pure = PurePosixPath(path)
    parts = [*pure.parent.parts, pure.stem] if pure.stem != "__init__" else [*pure.parent.parts]
    return ".".join(part for part in parts if part not in ("", "."))


def local_ref(module: str, name: str) -> str:
    return f"{module}:{name}"


def python_facts(ctx: FileContext, tree: ast.Module) -> DeliveryFacts:
    """The facts of a Python file, from its context after the rules ran."""
    facts = DeliveryFacts(
        module=module_name(ctx.path),
        jobs=[ScheduledJob(name=name, unhandled=d) for name, d in ctx.scheduled_jobs],
        job_events=list(ctx.job_events),
        open_world=ctx.open_world,
    )
    for name, kind in ctx.app_objects.items():
        if kind in ("fastapi", "router", "flask"):
            facts.apps[name] = kind  # type: ignore[assignment]
        elif kind == "grpc":
            facts.apps[name] = "other"
    facts.script = not facts.apps and _is_script(tree)
    facts.serving_hooks = [
        (coroutine.lineno, coroutine.end_lineno or coroutine.lineno)
        for coroutine in nodes_of(tree, ast.AsyncFunctionDef)
        if before_serving(ctx, coroutine)
    ]

    def absolute(qualname: str) -> str:
        return _absolute(qualname, facts.module, ctx.path)

    blocking = blocking_facts(ctx, tree, absolute)
    facts.blocking = None if blocking.is_empty() else blocking
    state = state_facts(ctx, tree, absolute, blocking.types)
    facts.state = None if state.is_empty() else state
    quiet = quiet_facts(ctx, tree, absolute, blocking.types)
    facts.quiet = None if quiet.is_empty() else quiet
    instances = instance_facts(ctx, tree, facts.module, absolute)
    facts.instances = None if instances.is_empty() else instances
    coroutines = coroutine_facts(ctx, tree, absolute, blocking.types)
    facts.coroutines = None if coroutines.is_empty() else coroutines
    envelopes = envelope_facts(ctx, tree, absolute)
    facts.envelopes = None if envelopes.is_empty() else envelopes
    payload_reads = payload_read_facts(ctx, tree, absolute)
    facts.payload_reads = None if payload_reads.is_empty() else payload_reads
    if PurePosixPath(ctx.path).stem == "__init__":
        for name, qualname in ctx.imports.bindings().items():
            target, _, attribute = _absolute(qualname, facts.module, ctx.path).rpartition(".")
            if target:
                facts.exports[name] = f"{target}:{attribute}"

    for delegate in [*ctx.delegates, *ctx.payload_delegates]:
        deferred = _deferred(ctx, delegate)
        if deferred:
            facts.delegates[delegate.name] = deferred
    for function, route in ctx.handlers:
        if "POST" not in route.methods or route.path is None:
            continue
        owner = _reference(ctx, route.decorator.func)
        facts.routes.append(
            ServedRoute(
                owner=owner,
                path=route.path,
                function=function.name,
                deferred=_deferred(ctx, function),
                delegate=_delegate(ctx, function, absolute, tree, facts.module),
            )
        )
        if route.kind == "subscription":
            # DaprApp.subscribe and its kin serve and declare the route in one decorator.
            facts.declared.append(_declared(ctx, "pubsub", route.path, route.decorator))
    for function, route, misplaced in ctx.job_callbacks:
        facts.job_callbacks.append(
            JobCallback(
                owner=_reference(ctx, route.decorator.func),
                path=route.path or "",
                function=function.name,
                methods=sorted(route.methods),
                misplaced=misplaced,
            )
        )
    for call in ctx.mounts:
        mount = _mount(ctx, call)
        if mount is not None:
            facts.mounts.append(mount)
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "include_router":
            facts.open_world = True  # a router we cannot name may serve anything

    for path, node in ctx.declared_routes():
        facts.declared.append(_declared(ctx, "pubsub", path, node))
    for method, node in _invoked_on_delivery(ctx, tree):
        facts.declared.append(_declared(ctx, "invoked", method, node))
    return facts


def _deferred(ctx: FileContext, function: FunctionNode) -> list[Deferred]:
    return [
        Deferred(kinds=sorted(kinds), diagnostic=diagnostic)  # type: ignore[arg-type]
        for kinds, diagnostic in ctx.deferred.get(id(function), [])
    ]


def _delegate(
    ctx: FileContext,
    route: FunctionNode,
    absolute: Callable[[str], str],
    tree: ast.Module,
    module: str,
) -> Callee | None:
    """The callee the route hands its delivery to: one whose answer it returns, handed its
    request (and constants), or one it awaits with the request's body before answering SUCCESS;
    imported, or a function of the route's own module."""
    arguments = route.args
    requests = {
        p.arg
        for p in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        if p.annotation is not None and ctx.qualname(p.annotation) in REQUEST_TYPES
    }
    if not requests:
        return None
    awaited = _payload_awaited(route, requests)
    if awaited is not None:
        chain = chains_in(ctx, absolute, assigned_once(tree), route, None).of(awaited.func)
        if chain is not None and chain[1][-1:] != [CALL]:
            return Callee(target=chain[0], steps=chain[1])
    for node in own_nodes(route):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        call = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(call, ast.Call) and _hands_on_the_request(call, requests):
            if isinstance(call.func, ast.Name) and call.func.id in ctx.module_functions:
                return Callee(target=f"{module}.{call.func.id}", steps=[])
            chain = chains_in(ctx, absolute, assigned_once(tree), route, None).of(call.func)
            if chain is not None and chain[1][-1:] != [CALL]:
                return Callee(target=chain[0], steps=chain[1])
    return None


def _hands_on_the_request(call: ast.Call, requests: set[str]) -> bool:
    """The call is handed the route's request and, beside it, only constants (which handler of
    a shared helper to run: `handle_event(request, "order_paid")`)."""
    values = [*call.args, *(k.value for k in call.keywords)]
    return any(isinstance(v, ast.Name) and v.id in requests for v in values) and all(
        (isinstance(v, ast.Name) and v.id in requests) or isinstance(v, ast.Constant)
        for v in values
    )


def _payload_awaited(route: FunctionNode, requests: set[str]) -> ast.Call | None:
    """The call the route awaits, unguarded, with nothing but its request's body (`data = await
    request.json()` then `await process_event(data["data"])`) before it answers SUCCESS: a
    payload that fails in the callee fails the delivery."""
    bodies: set[str] = set()
    awaited: ast.Call | None = None
    for statement in route.body:
        if isinstance(statement, ast.Assign) and _from_body(statement.value, requests, bodies):
            bodies.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Await)
            and isinstance(call := statement.value.value, ast.Call)
            and len(call.args) == 1
            and not call.keywords
            and _from_body(call.args[0], requests, bodies)
        ):
            awaited = call
        elif isinstance(statement, ast.Return) and awaited is not None:
            return awaited if _answers_success(statement.value) else None
    return None


def _from_body(node: ast.expr, requests: set[str], bodies: set[str]) -> bool:
    """`await request.json()`, a name bound to it, or a field read out of one (`[...]`,
    `.get(...)`)."""
    if isinstance(node, ast.Name):
        return node.id in bodies
    if isinstance(node, ast.Subscript):
        return _from_body(node.value, requests, bodies)
    if not isinstance(node, ast.Await | ast.Call):
        return False
    call = node.value if isinstance(node, ast.Await) else node
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return False
    receiver = call.func.value
    if call.func.attr == "get":
        return _from_body(receiver, requests, bodies)
    return (
        isinstance(node, ast.Await)
        and call.func.attr == "json"
        and isinstance(receiver, ast.Name)
        and receiver.id in requests
    )


def _answers_success(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Dict) and any(
        isinstance(k, ast.Constant)
        and k.value == "status"
        and isinstance(v, ast.Constant)
        and v.value == "SUCCESS"
        for k, v in zip(value.keys, value.values, strict=True)
    )


def _invoked_on_delivery(ctx: FileContext, tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """The methods this file's delivery handlers (and what they call here) invoke on another
    app with the SDK's `invoke_method(app_id, method_name, ...)`, by a literal name."""
    reached = per_message(ctx, tree)
    for function in call_graph(tree).all():
        if id(function) not in reached:
            continue
        for node in own_nodes(function):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "invoke_method"
                and keyword(node, "raw_body") is None  # an actor proxy's call
            ):
                continue
            method = const_str(argument(node, 1, "method_name"), ctx.constants)
            if method:
                yield "/" + method.lstrip("/"), node


def _is_script(tree: ast.Module) -> bool:
    """`if __name__ == "__main__":` or a module-level `asyncio.run(...)`: run once, then exit."""
    for statement in tree.body:
        if isinstance(statement, ast.If) and "__main__" in ast.unparse(statement.test):
            return True
        if (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and ast.unparse(statement.value.func).endswith("run")
        ):
            return True
    return False


def _reference(ctx: FileContext, decorator_func: ast.expr) -> str:
    """Which app or router a decorator `owner.post(...)` registers on: local or imported."""
    owner = decorator_func.value if isinstance(decorator_func, ast.Attribute) else decorator_func
    return _object_ref(ctx, owner) or ""


def _object_ref(ctx: FileContext, node: ast.expr) -> str | None:
    module = module_name(ctx.path)
    if isinstance(node, ast.Name) and node.id in ctx.app_objects:
        return local_ref(module, node.id)
    qualname = ctx.qualname(node)
    if qualname is None:
        return None
    target, _, name = _absolute(qualname, module, ctx.path).rpartition(".")
    return f"{target}:{name}" if target else None


def _absolute(qualname: str, module: str, path: str) -> str:
    """Resolve a relative import (`..api.orders.router`) against the importing module."""
    stripped = qualname.lstrip(".")
    level = len(qualname) - len(stripped)
    if level == 0:
        return qualname
    package = module.split(".")
    if PurePosixPath(path).stem != "__init__":
        package = package[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, stripped]) if base else stripped


def _mount(ctx: FileContext, call: ast.Call) -> Mount | None:
    func = call.func
    assert isinstance(func, ast.Attribute)
    parent = _object_ref(ctx, func.value)
    if parent is None and isinstance(func.value, ast.Name):
        # An app built inside a factory function (`app = FastAPI()` in `create_app`).
        parent = local_ref(module_name(ctx.path), func.value.id)
    if func.attr == "mount":
        prefix_node = call.args[0] if call.args else keyword(call, "path")
        child_node = call.args[1] if len(call.args) > 1 else keyword(call, "app")
    else:
        prefix_node = keyword(call, "prefix")
        child_node = call.args[0] if call.args else keyword(call, "router")
    prefix = const_str(prefix_node, ctx.constants) if prefix_node is not None else ""
    child = _object_ref(ctx, child_node) if child_node is not None else None
    if parent is None or child is None or prefix is None:
        return None
    return Mount(parent=parent, child=child, prefix=prefix.rstrip("/"))


def _declared(ctx: FileContext, kind: DeliveryKind, path: str, node: ast.AST) -> Declared:
    line, column, end_line, end_column = ctx.position(node)
    site = Site(
        path=ctx.path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        excerpt=excerpt(ctx.lines, line, end_line, None),
        suppressed=ctx.suppressed(UNSERVED_RULE, line, end_line),
    )
    return Declared(kind=kind, path=normalise_route(path), site=site)


def normalise_route(path: str) -> str:
    """Dapr accepts routes without a leading slash; the app sees them with one."""
    return "/" + path.lstrip("/") if path else "/"


# -- Dapr manifests -------------------------------------------------------------------------------

_MANIFEST_HINT = re.compile(r"kind:\s*[\"']?(Subscription|Component)\b")


def manifest_facts(path: str, text: str) -> DeliveryFacts | None:
    """Routes a Subscription or input-binding Component declares; None for any other YAML."""
    if _MANIFEST_HINT.search(text) is None:
        return None
    try:
        documents = [(node.start_mark.line + 1, node) for node in safe_yaml.compose_all(text)]
    except (yaml.YAMLError, ValueError, RecursionError):
        return None  # the policy check reports broken YAML
    facts = DeliveryFacts(module="")
    lines = text.splitlines()
    for start, node in documents:
        try:
            document = yaml.SafeLoader(text).construct_document(node)
        except (yaml.YAMLError, ValueError, TypeError):
            continue
        scopes = _scopes(document)
        for kind, route in _manifest_routes(document):
            normalised = normalise_route(route)
            # Point at the route's own line when it can be found, else at the document.
            line = next((n for n in range(start, len(lines) + 1) if route in lines[n - 1]), start)
            end = len(lines[line - 1]) + 1 if 0 < line <= len(lines) else 1
            site = Site(
                path=path,
                line=line,
                end_line=line,
                end_column=end,
                excerpt=excerpt(lines, line, line, None),
            )
            facts.declared.append(Declared(kind=kind, path=normalised, site=site, scopes=scopes))
    return facts if facts.declared else None


def _scopes(document: Any) -> list[str]:
    """A Subscription's `scopes` (top-level, where daprd reads them, or under `spec`)."""
    if not isinstance(document, dict) or document.get("kind") != "Subscription":
        return []
    spec = document.get("spec")
    for holder in (document, spec if isinstance(spec, dict) else {}):
        scopes = holder.get("scopes")
        if isinstance(scopes, list):
            return [scope for scope in scopes if isinstance(scope, str)]
    return []


def _manifest_routes(document: Any) -> Iterator[tuple[DeliveryKind, str]]:
    if not isinstance(document, dict) or "dapr.io/" not in str(document.get("apiVersion", "")):
        return
    spec = document.get("spec")
    if not isinstance(spec, dict):
        return
    if document.get("kind") == "Subscription":
        routes = spec.get("routes")
        if isinstance(routes, dict):
            for rule in routes.get("rules") or ():
                if isinstance(rule, dict) and isinstance(rule.get("path"), str):
                    yield "pubsub", rule["path"]
            if isinstance(routes.get("default"), str):
                yield "pubsub", routes["default"]
        if isinstance(spec.get("route"), str):
            yield "pubsub", spec["route"]
    elif document.get("kind") == "Component" and str(spec.get("type", "")).startswith("bindings."):
        metadata = {
            item.get("name"): item.get("value")
            for item in spec.get("metadata") or ()
            if isinstance(item, dict)
        }
        name = (document.get("metadata") or {}).get("name")
        if str(metadata.get("direction", "input")).strip() == "output":
            return
        route = metadata.get("route") or name
        if isinstance(route, str) and route:
            yield "cron" if spec.get("type") == "bindings.cron" else "binding", route
