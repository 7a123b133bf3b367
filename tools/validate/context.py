"""What rules know about the file being checked: imports, app objects, routes, constants, reports.

The engine fills it during its single traversal; rules read it and call `report`.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from tools.changes import Diagnostic
from tools.validate.astutil import FunctionNode, const_str, keyword, own_nodes, walk
from tools.validate.excerpt import excerpt
from tools.validate.imports import ImportMap
from tools.validate.suppressions import line_suppresses

if TYPE_CHECKING:
    from tools.validate.rules.base import Rule

AppKind = Literal["fastapi", "router", "dapr", "grpc", "flask"]
_APP_FACTORIES: dict[str, AppKind] = {
    "fastapi.FastAPI": "fastapi",
    "fastapi.applications.FastAPI": "fastapi",
    "fastapi.APIRouter": "router",
    "fastapi.routing.APIRouter": "router",
    "dapr.ext.fastapi.DaprApp": "dapr",
    # Registers gRPC callbacks, not HTTP routes: none of the route rules apply to them.
    "dapr.ext.grpc.App": "grpc",
    "dapr.ext.grpc.app.App": "grpc",
    "flask.Flask": "flask",
    "flask.app.Flask": "flask",
}
# Calls that attach a router or a sub-application under a prefix.
MOUNT_METHODS = frozenset({"include_router", "mount"})
# Where daprd reads an app's programmatic subscriptions, at the app's root.
SUBSCRIBE_PATH = "/dapr/subscribe"
# Routes registered without a decorator: the facts cannot follow them.
_IMPERATIVE_ROUTES = frozenset({"add_api_route", "add_url_rule", "add_route"})
# How Dapr reaches a handler: a pub/sub message, an input-binding event, a job trigger, or a cron
# binding's trigger - which daprd fires once per schedule and never redelivers, whatever the app
# answers (components-contrib bindings/cron ignores the handler's error).
# "invoked" is a route another app of the project invokes from its own delivery: it runs again on
# each redelivery, though its answer goes to that app, not to Dapr.
DeliveryKind = Literal["pubsub", "binding", "job", "cron", "invoked"]
DeliveryKinds = frozenset[DeliveryKind]
# The dapr.ext.grpc.App callbacks the delivery rules judge: `@app.subscribe` gets pub/sub
# messages, `@app.binding` input-binding events (dapr/python-sdk ext/grpc `_servicer.py`).
GrpcDelivery = Literal["pubsub", "binding"]
_GRPC_DELIVERIES: dict[str, GrpcDelivery] = {"subscribe": "pubsub", "binding": "binding"}
_HTTP_METHODS = frozenset({"get", "post", "put", "delete", "patch", "head", "options"})
# The request object a FastAPI (Starlette) route is handed whole.
REQUEST_TYPES = frozenset(
    {"fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request"}
)


def _dapr_app_default_route(decorator: ast.Call, constants: dict[str, str]) -> str | None:
    """`DaprApp.subscribe` without `route=` serves `/events/<pubsub>/<topic>`."""
    pubsub = const_str(keyword(decorator, "pubsub"), constants)
    topic = const_str(keyword(decorator, "topic"), constants)
    return f"/events/{pubsub}/{topic}" if pubsub and topic else None


def _path_template(node: ast.AST | None, constants: dict[str, str]) -> str | None:
    """A path known statically, or an f-string with its run-time parts as `{...}` parameters.

    `f"/events/{topic}"` in a factory serves `/events/<some value>`: one segment, like FastAPI's
    own `{topic}`, so it matches what Dapr is told to call without claiming which value it is.
    """
    known = const_str(node, constants)
    if known is not None or not isinstance(node, ast.JoinedStr):
        return known
    parts: list[str] = []
    for value in node.values:
        if isinstance(value, ast.FormattedValue):
            inner = const_str(value.value, constants)
            name = value.value.id if isinstance(value.value, ast.Name) else "value"
            parts.append(inner if inner is not None else "{" + name + "}")
        else:
            parts.append(const_str(value, constants) or "")
    return "".join(parts)


@dataclass(frozen=True)
class _LocalApp:
    """An app or router a function is given as a parameter or builds in its body."""

    kind: AppKind
    prefix: str
    # A parameter: where the caller mounts it is not known here.
    given: bool


def _cell(target: ast.expr, row: ast.expr, name: str) -> ast.expr | None:
    """What `name` is bound to when a comprehension's `target` takes `row` (a tuple unpacked by
    position, or the whole row)."""
    if isinstance(target, ast.Name):
        return row if target.id == name else None
    if isinstance(target, ast.Tuple) and isinstance(row, ast.Tuple | ast.List):
        if len(target.elts) != len(row.elts):
            return None
        for part, cell in zip(target.elts, row.elts, strict=True):
            found = _cell(part, cell, name)
            if found is not None:
                return found
    return None


def _route_entries(node: ast.AST) -> Iterator[ast.expr]:
    """The routes a subscription entry names: a dict's `route`/`default`/`path` keys, or the
    `route=` of a model built in place (`Subscription(pubsubname=..., route='/orders')`)."""
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in ("route", "default", "path"):
                yield value
    elif isinstance(node, ast.Call):
        route = keyword(node, "route")
        if route is not None:
            yield route


@dataclass(frozen=True)
class Route:
    """How a function is exposed: an HTTP route (methods and path when known) or a subscription."""

    kind: Literal["route", "subscription"]
    methods: frozenset[str]
    path: str | None
    decorator: ast.Call
    framework: AppKind | None = None

    @property
    def lists_subscriptions(self) -> bool:
        """The route serves a programmatic subscription list: `/dapr/subscribe`, or a path that
        ends in it under a router's prefix. daprd reads only the first (DAPR058 reports the
        other), but both name the routes the app means Dapr to deliver to."""
        return (
            self.kind == "route"
            and self.path is not None
            and ("/" + self.path.strip("/")).endswith(SUBSCRIBE_PATH)
        )


@dataclass
class FileContext:
    path: str
    source: str
    disabled: frozenset[str] = frozenset()
    # False in a change set: the gate then decides which suppressions the change may rely on.
    honour_noqa: bool = True
    imports: ImportMap = field(default_factory=ImportMap)
    constants: dict[str, str] = field(default_factory=dict)
    module_values: dict[str, ast.expr] = field(default_factory=dict)
    # The module's own functions by name: a `/dapr/subscribe` handler may return what one builds.
    module_functions: dict[str, FunctionNode] = field(default_factory=dict)
    app_objects: dict[str, AppKind] = field(default_factory=dict)
    router_prefixes: dict[str, str] = field(default_factory=dict)
    functions: list[FunctionNode] = field(default_factory=list)
    handlers: list[tuple[FunctionNode, Route]] = field(default_factory=list)
    models: set[str] = field(default_factory=set)
    bare_strings: set[int] = field(default_factory=set)
    has_async: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # What the project-level delivery check needs (see tools.validate.deliveries).
    mounts: list[ast.Call] = field(default_factory=list)
    open_world: bool = False
    scheduled_jobs: list[tuple[str, Diagnostic]] = field(default_factory=list)
    # DAPR036 whose answer no call of this file reads or throws away, with the functions
    # carrying that answer (`func` or `Class.method`, the helper and the callers returning its
    # answer) and what was written ("publish", "job schedule"): the project reports it when
    # calls from other modules throw the answer away.
    signalled_publishes: list[tuple[tuple[str, ...], str, Diagnostic]] = field(default_factory=list)
    # DAPR036's helpers answering a failed write with a value, whatever their callers do: the
    # functions carrying that answer and what was written. A call from another module that
    # throws the answer away is reported there.
    signalling_writers: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    # DAPR036's swallowed sends through helpers: the file's functions whose write through the
    # sidecar fails to their caller (key -> what is written), and the tries around calls of
    # other functions whose except only logs, in functions answering the same either way (the
    # function, the try's body, the finding at the except). The project joins the two.
    sending_functions: dict[str, str] = field(default_factory=dict)
    swallowing_tries: list[tuple[FunctionNode, list[ast.stmt], Diagnostic]] = field(
        default_factory=list
    )
    # DAPR034 on a delivery handler's body typed as a model imported from another module (the
    # import's dotted path, the parameter, the finding): the project reports it when that model
    # is an envelope requiring attributes a delivery may lack (see tools.validate.envelopes).
    imported_envelopes: list[tuple[str, str, Diagnostic]] = field(default_factory=list)
    # Per-message findings (DAPR050, DAPR018) in functions no delivery of this file reaches
    # (`func` or `Class.method`, the finding): the project reports them when a delivery handler
    # of another module calls them.
    unreached_sites: list[tuple[str, Diagnostic]] = field(default_factory=list)
    # DAPR032 findings whose `try` reads the payload only, if at all, in functions of other
    # modules it hands a value to (their dotted paths): the project reports them when one of
    # those functions reads it (see tools.validate.payload_reads).
    imported_reads: list[tuple[tuple[str, ...], Diagnostic]] = field(default_factory=list)
    job_events: list[str] = field(default_factory=list)
    # dapr.ext.grpc.App callbacks with what they are delivered (see `route_of`).
    grpc_callbacks: list[tuple[FunctionNode, GrpcDelivery]] = field(default_factory=list)
    # Routes shaped like a job trigger callback, with the finding that holds if they are not
    # where daprd delivers triggers (see tools.validate.rules.job_handler).
    job_callbacks: list[tuple[FunctionNode, Route, Diagnostic]] = field(default_factory=list)
    # Findings of delivery rules on routes this file does not show Dapr delivering to.
    deferred: dict[int, list[tuple[DeliveryKinds, Diagnostic]]] = field(default_factory=dict)
    _local_apps: dict[int, dict[str, _LocalApp]] = field(default_factory=dict)

    # -- reading the file --------------------------------------------------------------------------

    @cached_property
    def lines(self) -> list[str]:
        return self.source.splitlines()

    def qualname(self, node: ast.AST) -> str | None:
        """Dotted path of an imported name or attribute chain (`aio.sleep` -> `asyncio.sleep`)."""
        return self.imports.qualname(node)

    def calls(self, node: ast.AST, *qualnames: str) -> bool:
        """True when `node` is a call of one of `qualnames` (through any import alias)."""
        return isinstance(node, ast.Call) and self.qualname(node.func) in qualnames

    def is_prose(self, node: ast.Constant) -> bool:
        """True for a string that is a statement of its own (a docstring): text, not a value."""
        return id(node) in self.bare_strings

    @property
    def function(self) -> FunctionNode | None:
        """The innermost function being visited."""
        return self.functions[-1] if self.functions else None

    # -- routes and handlers -----------------------------------------------------------------------

    def route_of(self, function: FunctionNode) -> Route | None:
        """The route or subscription a decorator registers `function` as, or None."""
        for decorator in function.decorator_list:
            if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
                continue
            method = decorator.func.attr
            local = self._local_app(decorator.func.value)
            owner = local.kind if local else self._app_kind(decorator.func.value)
            if owner == "grpc":
                if method == "job_event":
                    name = const_str(decorator.args[0] if decorator.args else None, self.constants)
                    self.job_events.append(name or "{name}")
                delivery = _GRPC_DELIVERIES.get(method)
                if delivery is not None:
                    self.grpc_callbacks.append((function, delivery))
                continue
            if method == "subscribe" and (
                owner == "dapr" or keyword(decorator, "pubsub") or keyword(decorator, "topic")
            ):
                route = const_str(keyword(decorator, "route"), self.constants)
                if route is None and owner == "dapr":
                    route = _dapr_app_default_route(decorator, self.constants)
                return Route("subscription", frozenset({"POST"}), route, decorator, owner)
            path, placed = self._route_path(decorator, local)
            route = self._http_route(decorator, method, path, owner)
            if route is not None:
                if not placed and "POST" in route.methods:
                    # Served where the facts cannot say: no declared route is surely unserved.
                    self.open_world = True
                return route
        return None

    @staticmethod
    def _http_route(
        decorator: ast.Call, method: str, path: str | None, owner: AppKind | None
    ) -> Route | None:
        web = owner in ("fastapi", "router", "flask")
        if not (web or (path or "").startswith("/")):
            return None
        if method in _HTTP_METHODS:
            return Route("route", frozenset({method.upper()}), path, decorator, owner)
        if method in ("api_route", "route"):
            methods = keyword(decorator, "methods")
            names = {
                e.value.upper()
                for e in getattr(methods, "elts", ())
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
            return Route("route", frozenset(names or {"GET"}), path, decorator, owner)
        return None

    def _route_path(self, decorator: ast.Call, local: _LocalApp | None) -> tuple[str | None, bool]:
        """The path a route decorator serves (with its router's prefix), and whether the facts
        can place it: a router handed in as a parameter is mounted who knows where, and a path
        built at run time is placed only behind a literal leading `/` (a value may hold slashes,
        but then not before the first one)."""
        node = decorator.args[0] if decorator.args else keyword(decorator, "path")
        path = _path_template(node, self.constants)
        if path is None:
            return None, False
        placed = not (local is not None and local.given and local.kind == "router")
        if const_str(node, self.constants) is None:
            placed = placed and path.startswith("/")
        if local is not None:
            return local.prefix + path, placed
        owner = decorator.func.value  # type: ignore[attr-defined]
        if isinstance(owner, ast.Name):
            return self.router_prefixes.get(owner.id, "") + path, placed
        return path, placed

    def _local_app(self, node: ast.expr) -> _LocalApp | None:
        """The app or router `node` names in the enclosing functions (innermost first)."""
        if not isinstance(node, ast.Name):
            return None
        for function in reversed(self.functions):
            local = self._apps_of(function).get(node.id)
            if local is not None:
                return local
        return None

    def _apps_of(self, function: FunctionNode) -> dict[str, _LocalApp]:
        """Apps and routers a factory function is given (annotated parameters) or builds."""
        found = self._local_apps.get(id(function))
        if found is not None:
            return found
        found = {}
        arguments = function.args
        for parameter in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            annotation = parameter.annotation
            kind = _APP_FACTORIES.get(self.qualname(annotation) or "") if annotation else None
            if kind is not None:
                found[parameter.arg] = _LocalApp(kind, "", given=True)
        for node in own_nodes(function):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                kind = _APP_FACTORIES.get(self.qualname(node.value.func) or "")
                if kind is None:
                    continue
                prefix = const_str(keyword(node.value, "prefix"), self.constants) or ""
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = _LocalApp(kind, prefix, given=False)
        self._local_apps[id(function)] = found
        return found

    def note_call(self, node: ast.Call) -> None:
        """Remember calls that mount routers or register routes imperatively."""
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in MOUNT_METHODS:
                self.mounts.append(node)
            elif func.attr in _IMPERATIVE_ROUTES:
                self.open_world = True

    def note_class(self, node: ast.ClassDef) -> None:
        """Remember classes that are Pydantic models (directly or through an earlier model)."""
        for base in node.bases:
            name = self.qualname(base) or ""
            if name.startswith("pydantic.") or (
                isinstance(base, ast.Name) and base.id in self.models
            ):
                self.models.add(node.name)
                return

    def _app_kind(self, node: ast.expr) -> AppKind | None:
        if isinstance(node, ast.Name):
            return self.app_objects.get(node.id)
        return None

    def note_assignment(self, node: ast.Assign | ast.AnnAssign) -> None:
        """Remember module-level string constants and FastAPI/APIRouter/DaprApp objects."""
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        value = node.value
        if not names or value is None:
            return
        for name in names:
            self.module_values[name] = value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for name in names:
                self.constants[name] = value.value
        elif isinstance(value, ast.Call):
            kind = _APP_FACTORIES.get(self.qualname(value.func) or "")
            if kind is not None:
                prefix = const_str(keyword(value, "prefix"), self.constants) or ""
                for name in names:
                    self.app_objects[name] = kind
                    self.router_prefixes[name] = prefix

    def declared_routes(self) -> list[tuple[str, ast.AST]]:
        """(route, node) for each route a programmatic `GET /dapr/subscribe` handler lists.

        The list may be a literal in the handler, a module-level name it returns, or what a
        function of the module it calls builds (`return get_subscriptions()`).
        """
        found: list[tuple[str, ast.AST]] = []
        for function, route in self.handlers:
            if not route.lists_subscriptions:
                continue
            for node in self._subscription_literals(function):
                for value in _route_entries(node):
                    text = _path_template(value, self.constants)
                    if text:
                        found.append((text, value))
                if isinstance(node, ast.ListComp | ast.GeneratorExp):
                    found += self._unrolled_routes(node)
        return found

    def _unrolled_routes(self, node: ast.ListComp | ast.GeneratorExp) -> list[tuple[str, ast.AST]]:
        """Routes of entries built by a comprehension over a module-level table: `[{'route':
        route, ...} for topic, route in TOPICS]` (a list of tuples) or `... in ROUTES.items()`."""
        found: list[tuple[str, ast.AST]] = []
        for value in _route_entries(node.elt):
            if not isinstance(value, ast.Name):
                continue
            for generator in node.generators:
                for row in self._table_rows(generator.iter):
                    cell = _cell(generator.target, row, value.id)
                    text = _path_template(cell, self.constants)
                    if cell is not None and text:
                        found.append((text, cell))  # the table's cell: where the path is written
        return found

    def _table_rows(self, source: ast.expr) -> list[ast.expr]:
        """The rows of a module-level list, tuple or set literal, or a dict literal's items as
        (key, value) tuples when iterated with `.items()`."""
        if (
            isinstance(source, ast.Call)
            and isinstance(source.func, ast.Attribute)
            and source.func.attr == "items"
            and not source.args
        ):
            table = self._module_table(source.func.value)
            if not isinstance(table, ast.Dict):
                return []
            return [
                ast.Tuple(elts=[key, value], ctx=ast.Load())
                for key, value in zip(table.keys, table.values, strict=True)
                if key is not None
            ]
        table = self._module_table(source)
        return list(table.elts) if isinstance(table, ast.List | ast.Tuple | ast.Set) else []

    def _module_table(self, node: ast.expr) -> ast.expr | None:
        return self.module_values.get(node.id) if isinstance(node, ast.Name) else None

    def _subscription_literals(self, function: FunctionNode) -> Iterator[ast.AST]:
        names = set()
        for node in walk(function):
            yield node
            if isinstance(node, ast.Name):
                names.add(node.id)
        for name in names & self.module_values.keys():
            yield from walk(self.module_values[name])
        for name in names & self.module_functions.keys():
            if self.module_functions[name] is not function:
                yield from walk(self.module_functions[name])

    @cached_property
    def raw_payloads(self) -> bool:
        """A subscription of this file asks for raw payloads (`rawPayload` metadata): daprd then
        delivers the message as published inside an envelope of its own, under `data_base64`.
        Only the code's strings ask: a comment showing a `curl ...?metadata.rawPayload=true`
        publish does not."""
        if "rawPayload" not in self.source:
            return False
        texts = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
        try:
            return any(
                token.type in texts and "rawPayload" in token.string
                for token in tokenize.generate_tokens(io.StringIO(self.source).readline)
            )
        except (tokenize.TokenError, SyntaxError):
            return True  # not read whole: assume it asks, as the text says

    @cached_property
    def subscription_paths(self) -> frozenset[str]:
        """Routes this file's own `/dapr/subscribe` lists, as the app sees them."""
        return frozenset("/" + path.lstrip("/") for path, _ in self.declared_routes())

    @cached_property
    def _delivery_kinds(self) -> dict[int, str]:
        """What this file alone shows Dapr delivering to each handler: pubsub or job."""
        kinds: dict[int, str] = {}
        for function, route in self.handlers:
            if route.kind == "subscription" or (
                "POST" in route.methods and route.path in self.subscription_paths
            ):
                kinds[id(function)] = "pubsub"
            elif "POST" in route.methods and (route.path or "").startswith("/job/"):
                kinds[id(function)] = "job"
        return kinds

    @cached_property
    def _candidates(self) -> list[FunctionNode]:
        """POST routes Dapr may deliver to, as another file may declare: judged, then deferred."""
        return [
            function
            for function, route in self.handlers
            if "POST" in route.methods
            and route.path is not None
            and id(function) not in self._delivery_kinds
        ]

    def subscription_handlers(self) -> list[FunctionNode]:
        """Functions Dapr delivers pub/sub messages to, known here or possibly declared elsewhere.

        A delivery rule's findings on a function known only as a POST route are deferred to the
        project-level check, which reports them if some file or manifest routes messages there.
        """
        known = [f for f, _ in self.handlers if self._delivery_kinds.get(id(f)) == "pubsub"]
        return [*known, *self._candidates]

    @cached_property
    def delegates(self) -> list[FunctionNode]:
        """Module functions handed a route's request and at most settings beside it
        (`handle_order(request: Request)`, `handle(request: Request, handler_name: str)`): a
        route may answer with what one returns (`return await handle_order(request)`), the
        route's whole body moved here. The delivery rules judge them as that route would be
        judged; their findings are deferred to the project, which reports them when such a route
        is one Dapr delivers to."""
        routes = {id(function) for function, _ in self.handlers}
        found = []
        for function in self.module_functions.values():
            arguments = function.args
            parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            kinds = [self._delegate_parameter(p) for p in parameters]
            if (
                id(function) not in routes
                and "request" in kinds
                and None not in kinds
                and not (arguments.vararg or arguments.kwarg)
            ):
                found.append(function)
        return found

    def _delegate_parameter(self, parameter: ast.arg) -> Literal["request", "setting"] | None:
        """A delegate's parameter: the route's request, a setting (a str, int or bool the route
        names, such as which handler to run), or neither."""
        annotation = parameter.annotation
        if annotation is not None and self.qualname(annotation) in REQUEST_TYPES:
            return "request"
        builtin = isinstance(annotation, ast.Name) and annotation.id in ("str", "int", "bool")
        return "setting" if builtin else None

    @cached_property
    def payload_delegates(self) -> list[FunctionNode]:
        """Module functions handed nothing but a delivered payload (`process_event(data: dict)`):
        a route of another module may await one with its body and answer SUCCESS after it, so a
        payload that fails there fails the delivery. Only the payload rules (DAPR006/007) judge
        them, their findings deferred like a delegate's."""
        # The payload's classification lives with the payload rules, which import this module.
        from tools.validate.rules._payload import classify

        routes = {id(function) for function, _ in self.handlers}
        delegates = {id(function) for function in self.delegates}
        found = []
        for function in self.module_functions.values():
            arguments = function.args
            parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            if (
                id(function) not in routes | delegates
                and len(parameters) == 1
                and not (arguments.vararg or arguments.kwarg)
                and parameters[0].annotation is not None
                and classify(self, parameters[0].annotation) == "untyped"
            ):
                found.append(function)
        return found

    def judged_handlers(self) -> list[FunctionNode]:
        """What the pub/sub delivery rules judge: the subscription handlers, the dapr.ext.grpc
        subscribers and the delegates."""
        grpc = [f for f, delivery in self.grpc_callbacks if delivery == "pubsub"]
        return [*self.subscription_handlers(), *grpc, *self.delegates]

    def grpc_bindings(self) -> list[FunctionNode]:
        """The dapr.ext.grpc.App `@app.binding` callbacks: each handles an input-binding event."""
        return [f for f, delivery in self.grpc_callbacks if delivery == "binding"]

    def grpc_delivery(self, function: FunctionNode) -> GrpcDelivery | None:
        """What a dapr.ext.grpc.App delivers to `function`, when it is one of its callbacks."""
        return next((d for f, d in self.grpc_callbacks if f is function), None)

    def job_handlers(self) -> list[tuple[FunctionNode, Route]]:
        """Functions answering Dapr job triggers (`POST /job/<name>`)."""
        return [(f, r) for f, r in self.handlers if self._delivery_kinds.get(id(f)) == "job"]

    def deferral_target(
        self, node: ast.AST, within: FunctionNode | None, *, payloads: bool = False
    ) -> FunctionNode | None:
        """The candidate route a delivery finding at `node` belongs to, if it is one; with
        `payloads`, a payload delegate reported `within` is one too."""
        deferrable = [*self._candidates, *self.delegates]
        if within is not None:
            owners = [*deferrable, *self.payload_delegates] if payloads else deferrable
            return within if any(within is c for c in owners) else None
        line = getattr(node, "lineno", 0)
        for candidate in deferrable:
            if candidate.lineno <= line <= (candidate.end_lineno or candidate.lineno):
                return candidate
        return None

    def defer(self, function: FunctionNode, kinds: DeliveryKinds, diagnostic: Diagnostic) -> None:
        self.deferred.setdefault(id(function), []).append((kinds, diagnostic))

    def framework_of(self, function: FunctionNode) -> AppKind | None:
        """The kind of object `function` is registered on (`flask` answers tuples natively)."""
        return next((r.framework for f, r in self.handlers if f is function), None)

    def request_handlers(self) -> list[FunctionNode]:
        return [function for function, _ in self.handlers]

    # -- reporting ---------------------------------------------------------------------------------

    def diagnostic(
        self,
        rule: Rule,
        node: ast.AST,
        message: str | None = None,
        *,
        within: FunctionNode | None = None,
    ) -> Diagnostic | None:
        """The finding `report` would record (None when suppressed).

        `within` overrides the function the excerpt shows.
        """
        line, column, end_line, end_column = self.position(node)
        if self.suppressed(rule.id, line, end_line):
            return None
        function = within or self.function
        span = (function.lineno, function.end_lineno or function.lineno) if function else None
        return Diagnostic(
            rule=rule.id,
            source="dapr",
            path=self.path,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
            message=message or rule.message,
            why=rule.why,
            fix=rule.fix,
            excerpt=excerpt(self.lines, line, end_line, span),
        )

    def position(self, node: ast.AST) -> tuple[int, int, int, int]:
        """(line, column, end line, end column) of `node`, 1-based, columns in characters."""
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        column = self._column(line, getattr(node, "col_offset", 0))
        end_column = self._column(end_line, getattr(node, "end_col_offset", None) or 0)
        return line, column, end_line, end_column

    def suppressed(self, rule_id: str, line: int, end_line: int) -> bool:
        """True when a `# noqa` for `rule_id` (or a bare one) ends the first or last line, and
        this check honours suppressions (see tools.validate.suppressions)."""
        if not self.honour_noqa:
            return False
        return any(
            line_suppresses(self.lines[number - 1], rule_id)
            for number in {line, end_line}
            if number <= len(self.lines)
        )

    def _column(self, line: int, byte_offset: int) -> int:
        """ast gives UTF-8 byte offsets; diagnostics count characters, from 1."""
        if line > len(self.lines):
            return byte_offset + 1
        text = self.lines[line - 1]
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1
