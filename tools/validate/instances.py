"""What a name holds: an instance of a known client class, resolved through the import resolver.

Rules that must tell a real `DaprClient`, a synchronous SQLAlchemy session or a `requests.Session`
apart from a project's own object with a method of the same name ask `kind_of(expression)`. A name
is bound to a kind by an annotation (`db: Session`, `Annotated[Session, Depends(...)]`), by
`name = Factory(...)`, or by `with Factory(...) as name` - in the function or at module level. An
attribute of `self` has a kind when its class declares it (`client: DaprClient` in the class body)
or every assignment to it in the class's methods gives the same kind (`self.client = DaprClient()`,
`self.client = client or DaprClient()`); a property or method declared to return a kind gives
`self.<property>` and `self.<method>()` that kind.
Anything else (a value read from `app.state`, a parameter without annotation) has no kind: rules
stay quiet on what they cannot resolve.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Literal

from tools.validate.astutil import FunctionNode, children, own_nodes
from tools.validate.context import FileContext

Kind = Literal[
    "dapr-sync",  # dapr.clients.DaprClient: every method is a blocking gRPC call
    "dapr-async",  # dapr.aio.clients.DaprClient
    "orm-session",  # sqlalchemy.orm.Session (and SQLModel's)
    "orm-sessionmaker",  # calling it opens an orm-session
    "engine",  # a synchronous SQLAlchemy Engine
    "connection",  # what Engine.connect()/begin() return
    "requests-session",
    "grpc-app",  # dapr.ext.grpc.App
    "workflow-sync",  # dapr.ext.workflow.DaprWorkflowClient: its methods are blocking gRPC calls
    "httpx-sync",  # httpx.Client
    "path",  # pathlib.Path: reading and writing it is file I/O
    "mongo",  # pymongo's MongoClient, its databases and collections: each query a round trip
    "smtp",  # smtplib.SMTP / SMTP_SSL: each command waits on the mail server
]

# Classes (for annotations and constructor calls) and factory functions, by what they produce.
_PRODUCES: dict[str, Kind] = {
    "dapr.clients.DaprClient": "dapr-sync",
    "dapr.clients.DaprGrpcClient": "dapr-sync",
    "dapr.clients.grpc.client.DaprGrpcClient": "dapr-sync",
    "dapr.aio.clients.DaprClient": "dapr-async",
    "dapr.aio.clients.grpc.client.DaprGrpcClientAsync": "dapr-async",
    "sqlalchemy.orm.Session": "orm-session",
    "sqlalchemy.orm.session.Session": "orm-session",
    "sqlalchemy.orm.scoped_session": "orm-session",
    "sqlmodel.Session": "orm-session",
    "sqlalchemy.orm.sessionmaker": "orm-sessionmaker",
    "sqlalchemy.orm.session.sessionmaker": "orm-sessionmaker",
    "sqlalchemy.create_engine": "engine",
    "sqlalchemy.engine.create_engine": "engine",
    "sqlmodel.create_engine": "engine",
    "sqlalchemy.Engine": "engine",
    "sqlalchemy.engine.Engine": "engine",
    "sqlalchemy.Connection": "connection",
    "sqlalchemy.engine.Connection": "connection",
    "requests.Session": "requests-session",
    "requests.session": "requests-session",
    "requests.sessions.Session": "requests-session",
    "dapr.ext.grpc.App": "grpc-app",
    "dapr.ext.grpc.app.App": "grpc-app",
    "dapr.ext.workflow.DaprWorkflowClient": "workflow-sync",
    "dapr.ext.workflow.dapr_workflow_client.DaprWorkflowClient": "workflow-sync",
    "httpx.Client": "httpx-sync",
    "pathlib.Path": "path",
    "pymongo.MongoClient": "mongo",
    "pymongo.mongo_client.MongoClient": "mongo",
    "pymongo.database.Database": "mongo",
    "pymongo.collection.Collection": "mongo",
    "smtplib.SMTP": "smtp",
    "smtplib.SMTP_SSL": "smtp",
    "smtplib.LMTP": "smtp",
}
# Methods whose result is itself a known kind: `engine.connect()`, `SessionLocal()`.
_RESULTS: dict[tuple[Kind, str], Kind] = {
    ("engine", "connect"): "connection",
    ("engine", "begin"): "connection",
    ("orm-sessionmaker", "begin"): "orm-session",
    ("mongo", "get_database"): "mongo",
    ("mongo", "get_default_database"): "mongo",
    ("mongo", "get_collection"): "mongo",
}


def instances_of(ctx: FileContext, module: ast.Module) -> Instances:
    """The module's `Instances`, made once per tree and shared by every rule that asks (the
    bindings are read, never changed, so one copy serves them all)."""
    found: Instances | None = getattr(module, _INSTANCES, None)
    if found is None:
        found = Instances(ctx, module)
        setattr(module, _INSTANCES, found)
    return found


_INSTANCES = "_daprdev_instances"


class Instances:
    """Kinds of the module's top-level names; `in_function` adds one function's own bindings."""

    def __init__(self, ctx: FileContext, module: ast.Module) -> None:
        self.ctx = ctx
        self._module_bindings: dict[str, Kind] = {}
        # id of a method -> kinds of its `self.<attribute>`s, keyed "self.<attribute>".
        self._attributes: dict[int, dict[str, Kind]] = {}
        self._cache: dict[int, dict[str, Kind]] = {}
        # `Dapr = Annotated[DaprClient, Depends(get_dapr)]`: the kind an annotation alias names.
        self._alias_kinds: dict[str, Kind] = {}
        for statement in module.body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and isinstance(statement.value, ast.Subscript)
            ):
                kind = self.annotation_kind(statement.value)
                if kind is not None:
                    self._alias_kinds[statement.targets[0].id] = kind
        # Also inside `if __name__ == "__main__":`, `try` and `with` blocks at module level.
        for statement in _module_statements(module):
            self._bind(statement, self._module_bindings)
        for statement in module.body:
            if isinstance(statement, ast.ClassDef):
                self._note_class(statement)

    def at(self, function: FunctionNode | None) -> dict[str, Kind]:
        """The bindings visible in `function` (the module's when None), computed once each."""
        if function is None:
            return self._module_bindings
        key = id(function)
        if key not in self._cache:
            self._cache[key] = self.in_function(function)
        return self._cache[key]

    def in_function(self, function: FunctionNode) -> dict[str, Kind]:
        """Names bound in `function` (parameters, assignments, `with` targets) over the module's."""
        receiver = _receiver(function)
        attributes = {
            f"{receiver}.{attribute}": kind
            for attribute, kind in self._attributes.get(id(function), {}).items()
        }
        # The attributes first: `client = self._get_client()` in the body resolves through them.
        return self._own_bindings(function, attributes)

    def _own_bindings(
        self, function: FunctionNode, attributes: dict[str, Kind] | None = None
    ) -> dict[str, Kind]:
        bindings = {**self._module_bindings, **(attributes or {})}
        arguments = function.args
        for parameter in [
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
        ]:
            kind = self.annotation_kind(parameter.annotation)
            if kind is not None:
                bindings[parameter.arg] = kind
        for node in own_nodes(function):
            if isinstance(node, ast.stmt):
                self._bind(node, bindings)
        return bindings

    def kind_of(self, node: ast.expr, bindings: dict[str, Kind]) -> Kind | None:
        """The kind of value `node` evaluates to, or None when it cannot be told."""
        if isinstance(node, ast.Await):
            return self.kind_of(node.value, bindings)
        if isinstance(node, ast.Name):
            return bindings.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            found = bindings.get(f"{node.value.id}.{node.attr}")
            if found is not None or bindings.get(node.value.id) != "mongo":
                return found
        if isinstance(node, ast.Attribute | ast.Subscript):
            # A MongoClient's database and a database's collection, by attribute or by key.
            return "mongo" if self.kind_of(node.value, bindings) == "mongo" else None
        if isinstance(node, ast.BoolOp | ast.IfExp):
            # `client or DaprClient()`, `a if ready else DaprClient()`: one kind on every branch.
            branches = node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse]
            found = {
                self.kind_of(branch, bindings)
                for branch in branches
                if not (isinstance(branch, ast.Constant) and branch.value is None)
            }
            return found.pop() if len(found) == 1 else None
        if not isinstance(node, ast.Call):
            return None
        produced = _PRODUCES.get(self.ctx.qualname(node.func) or "")
        if produced == "orm-sessionmaker" and self._makes_async_sessions(node):
            return None
        if produced is not None:
            return produced
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            returned = bindings.get(f"{func.value.id}.{func.attr}()")
            if returned is not None:  # `self._get_client()`, declared `-> DaprClient`
                return returned
        if isinstance(func, ast.Attribute):
            owner = self.kind_of(func.value, bindings)
            return _RESULTS.get((owner, func.attr)) if owner is not None else None
        if self.kind_of(func, bindings) == "orm-sessionmaker":
            return "orm-session"
        return None

    def _makes_async_sessions(self, call: ast.Call) -> bool:
        """`sessionmaker(engine, class_=AsyncSession)`: its sessions are awaited, none blocks."""
        return any(
            keyword.arg == "class_"
            and (self.ctx.qualname(keyword.value) or "").endswith(".AsyncSession")
            for keyword in call.keywords
        )

    def annotation_kind(self, annotation: ast.expr | None) -> Kind | None:
        """The kind an annotation declares, seen through `Annotated`, `Optional` and `X | None`."""
        if annotation is None:
            return None
        if isinstance(annotation, ast.Subscript):
            inner = annotation.slice
            first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
            return self.annotation_kind(first)
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            return self.annotation_kind(annotation.left) or self.annotation_kind(annotation.right)
        if isinstance(annotation, ast.Name) and annotation.id in self._alias_kinds:
            return self._alias_kinds[annotation.id]
        return _PRODUCES.get(self.ctx.qualname(annotation) or "")

    def _note_class(self, node: ast.ClassDef) -> None:
        """Kinds of the attributes of `self` in `node`'s methods: declared, or assigned alike."""
        declared: dict[str, Kind] = {}
        assigned: dict[str, set[Kind | None]] = {}
        methods = [n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for statement in node.body:  # `client: DaprClient` / `client = DaprClient()` in the body
            if isinstance(statement, ast.AnnAssign | ast.Assign):
                self._bind(statement, declared)
        for method in methods:  # a property or a getter declared to return a known kind
            returned = self.annotation_kind(method.returns)
            if returned is None:
                continue
            properties = {"property", "cached_property", "functools.cached_property"}
            if any(_decorator_name(d) in properties for d in method.decorator_list):
                declared.setdefault(method.name, returned)
            else:
                declared.setdefault(f"{method.name}()", returned)
        for method in methods:
            receiver = _receiver(method)
            # `self._client = self.create_client()` of a getter declared `-> httpx.Client`.
            getters = {f"{receiver}.{name}": kind for name, kind in declared.items()}
            bindings = self._own_bindings(method, getters)
            for target, value, annotation in _attribute_assignments(method, receiver):
                kind = self.annotation_kind(annotation)
                if kind is not None:
                    declared.setdefault(target, kind)
                elif not (isinstance(value, ast.Constant) and value.value is None) and not (
                    _optional_parameter(method, value)
                ):
                    # `self.client = None` only says "not created yet", and `self.client =
                    # client` of a parameter defaulting to None "given one, or built later".
                    assigned.setdefault(target, set()).add(
                        self.kind_of(value, bindings) if value is not None else None
                    )
        # An attribute assigned different kinds, or something unknown, is left unresolved.
        kinds: dict[str, Kind] = {}
        for name, found in assigned.items():
            only = found.pop() if len(found) == 1 else None
            if only is not None:
                kinds[name] = only
        kinds.update(declared)
        for method in methods:
            self._attributes[id(method)] = kinds

    def _bind(self, statement: ast.AST, bindings: dict[str, Kind]) -> None:
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            kind = None
            if statement.value is not None:
                kind = self.kind_of(statement.value, bindings)
            if kind is None and isinstance(statement, ast.AnnAssign):
                kind = self.annotation_kind(statement.annotation)
            for target in targets:
                if isinstance(target, ast.Name) and kind is not None:
                    bindings[target.id] = kind
        elif isinstance(statement, ast.With | ast.AsyncWith):
            for item in statement.items:
                kind = self.kind_of(item.context_expr, bindings)
                if isinstance(item.optional_vars, ast.Name) and kind is not None:
                    bindings[item.optional_vars.id] = kind


def _optional_parameter(method: FunctionNode, value: ast.expr | None) -> bool:
    """`value` is an unannotated parameter of `method` whose default is None (`client=None`):
    what the caller may hand in instead of what the class builds itself."""
    if not isinstance(value, ast.Name):
        return False
    arguments = method.args
    positional = [*arguments.posonlyargs, *arguments.args]
    pairs = [
        *zip(
            positional[len(positional) - len(arguments.defaults) :],
            arguments.defaults,
            strict=True,
        ),
        *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
    ]
    return any(
        parameter.arg == value.id
        and parameter.annotation is None
        and isinstance(default, ast.Constant)
        and default.value is None
        for parameter, default in pairs
    )


def _decorator_name(decorator: ast.expr) -> str:
    """`property`, `functools.cached_property`: the dotted name a decorator is written as."""
    return ast.unparse(decorator.func if isinstance(decorator, ast.Call) else decorator)


def _module_statements(module: ast.Module) -> Iterator[ast.stmt]:
    """The module's statements, nested blocks included, in order; not entering defs or classes."""
    stack: list[ast.stmt] = list(reversed(module.body))
    while stack:
        statement = stack.pop()
        yield statement
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        nested: list[ast.stmt] = []
        for child in children(statement):
            if isinstance(child, ast.stmt):
                nested.append(child)
            elif isinstance(child, ast.ExceptHandler | ast.match_case):
                nested.extend(child.body)
        stack.extend(reversed(nested))


def _receiver(function: FunctionNode) -> str:
    """The name a method calls its instance (`self`), or "" for a function without parameters."""
    positional = [*function.args.posonlyargs, *function.args.args]
    return positional[0].arg if positional else ""


def _attribute_assignments(
    method: FunctionNode, receiver: str
) -> list[tuple[str, ast.expr | None, ast.expr | None]]:
    """(attribute, value, annotation) for each `receiver.<attribute> = value` in `method`."""
    found: list[tuple[str, ast.expr | None, ast.expr | None]] = []
    for node in own_nodes(method):
        if isinstance(node, ast.Assign):
            targets, annotation = node.targets, None
        elif isinstance(node, ast.AnnAssign):
            targets, annotation = [node.target], node.annotation
        else:
            continue
        found.extend(
            (target.attr, node.value, annotation)
            for target in targets
            if isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == receiver
        )
    return found
