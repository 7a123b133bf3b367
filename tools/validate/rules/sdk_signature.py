"""DAPR023: calls of the Dapr SDK with parameters (or methods) it does not have.

Checked only where the callee surely is the SDK's: a constructor by its import path, a method of a
name `kind_of` resolves to a real DaprClient or dapr.ext.grpc App, a decorator of a DaprApp or
App object. The parameter lists come from the installed SDK, committed in sdk_signatures.json
(see _sdk_table.py).
"""

from __future__ import annotations

import ast
import difflib
import json
from functools import cache
from typing import Any

from tools.validate.astutil import (
    FunctionNode,
    assigned_once,
    module_functions,
    nodes_of,
    own_nodes,
    single_assignments,
)
from tools.validate.context import FileContext
from tools.validate.instances import Instances, Kind, instances_of
from tools.validate.rules._sdk_table import FASTAPI_APP, GRPC_APP, TABLE
from tools.validate.rules.base import Invalid, Rule

_SYNC_CLIENT = "dapr.clients.DaprClient"
_AIO_CLIENT = "dapr.aio.clients.DaprClient"
_JOB = "dapr.clients.Job"
_TRANSACTION_OPERATION = "dapr.clients.grpc._request.TransactionalStateOperation"
_WORKFLOW_RUNTIME = "dapr.ext.workflow.WorkflowRuntime"
_WORKFLOW_CONTEXT = "dapr.ext.workflow.DaprWorkflowContext"
# Import paths of each checked class (the SDK re-exports them).
_STATE_ITEM = "dapr.clients.grpc._state.StateItem"
_STATE_OPTIONS = "dapr.clients.grpc._state.StateOptions"
CONSTRUCTORS = {
    _SYNC_CLIENT: _SYNC_CLIENT,
    _AIO_CLIENT: _AIO_CLIENT,
    _JOB: _JOB,
    "dapr.aio.clients.Job": _JOB,
    "dapr.clients.grpc._jobs.Job": _JOB,
    FASTAPI_APP: FASTAPI_APP,
    "dapr.ext.fastapi.app.DaprApp": FASTAPI_APP,
    GRPC_APP: GRPC_APP,
    "dapr.ext.grpc.app.App": GRPC_APP,
    _TRANSACTION_OPERATION: _TRANSACTION_OPERATION,
    "dapr.clients.grpc.client.TransactionalStateOperation": _TRANSACTION_OPERATION,
    _WORKFLOW_RUNTIME: _WORKFLOW_RUNTIME,
    "dapr.ext.workflow.workflow_runtime.WorkflowRuntime": _WORKFLOW_RUNTIME,
    # State items and options: their constructors take no TTL or action (a TypeError).
    _STATE_ITEM: _STATE_ITEM,
    _STATE_OPTIONS: _STATE_OPTIONS,
}
# A workflow's context, known by the annotation of the parameter that receives it.
_CONTEXTS = frozenset(
    {_WORKFLOW_CONTEXT, "dapr.ext.workflow.dapr_workflow_context.DaprWorkflowContext"}
)
# Literal displays whose kind a parameter's annotation can rule out; other literals (numbers,
# None) are left alone, the SDK's annotations being looser there than its code.
_DISPLAYS: dict[type[ast.expr], str] = {
    ast.Dict: "dict",
    ast.DictComp: "dict",
    ast.List: "list",
    ast.ListComp: "list",
    ast.Set: "set",
    ast.SetComp: "set",
    ast.Tuple: "tuple",
    ast.JoinedStr: "str",
}
_BY_KIND: dict[Kind, str] = {
    "dapr-sync": _SYNC_CLIENT,
    "dapr-async": _AIO_CLIENT,
    "grpc-app": GRPC_APP,
}
_BY_APP_OBJECT = {"dapr": FASTAPI_APP, "grpc": GRPC_APP}
# Keywords only the SDK client's methods take: a call naming them is the client's.
_SDK_KEYWORDS = frozenset(
    {
        "store_name",
        "pubsub_name",
        "topic_name",
        "binding_name",
        "binding_metadata",
        "publish_metadata",
        "state_metadata",
        "states_metadata",
        "data_content_type",
    }
)


@cache
def _table() -> dict[str, Any]:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def signatures() -> dict[str, dict[str, Any]]:
    return _table()["classes"]


def modules() -> dict[str, list[str] | None]:
    return _table()["modules"]


class SdkSignature(Rule):
    id = "DAPR023"
    name = "sdk-signature"
    message = "a Dapr SDK call with a parameter or method the SDK does not have"
    why = (
        "The SDK's methods take fixed parameters: an unknown keyword, one positional argument "
        "too many or a missing required one raises TypeError when the line runs - often only "
        "on the first request, delivery or startup in a real environment. Names that look "
        "right are easy to guess wrong: `DaprClient(address=...)`, `DaprApp.subscribe(pubsub=, "
        "topic=)` but `dapr.ext.grpc.App.subscribe(pubsub_name=, topic=)`, "
        "`publish_event(pubsub_name=, topic_name=)`, `save_state(store_name=, key=, value=)`. "
        "The same holds for a name imported from an SDK module that lacks it (ImportError at "
        "startup), an argument of a kind the parameter's annotation rules out (a dict as "
        "`data`, a str where an enum is expected) and `await` on a synchronous method."
    )
    fix = (
        "Use the names and types the message lists (from the installed `dapr` SDK): import "
        "what the module has, serialise a dict before passing it as `data`, pass the SDK's own "
        "objects (`RetryPolicy`, `TransactionOperationType`) where it asks for them, and call "
        "synchronous methods such as `WorkflowRuntime.start()` without `await`."
    )
    VALID = (
        "import os\n\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(body: str) -> None:\n"
        "    async with DaprClient(address=os.environ['DAPR_GRPC_ENDPOINT']) as client:\n"
        "        await client.publish_event(pubsub_name='pubsub', topic_name='orders', data=body, "
        "data_content_type='application/json')\n",
        # The project's own object with a method of the same name.
        "class Store:\n"
        "    async def save_state(self, store: str, key: str, value: str) -> None: ...\n\n"
        "async def save(store: Store) -> None:\n"
        "    await store.save_state(store='orders', key='k', value='v')\n",
        # A receiver the file cannot place, called with the SDK's keywords and right kinds.
        "from dapr.clients import DaprClient\n\n"
        "def worker(job: tuple) -> None:\n"
        "    client, key = job\n"
        "    client.save_state(store_name='statestore', key=key, value='done', etag='3')\n\n"
        "def main() -> None:\n"
        "    with DaprClient() as client:\n"
        "        worker((client, 'k'))\n",
        # dapr.ext.grpc's App does take `pubsub_name`.
        "from dapr.ext.grpc import App\n\n"
        "app = App()\n\n"
        "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
        "def on_order(event) -> None:\n"
        "    print(event)\n",
        # The dict is serialised before it is sent; a name bound twice may hold either.
        "import json\n\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(client: DaprClient, order: dict, ok: bool) -> None:\n"
        "    event = {'id': order['id']}\n"
        "    body = json.dumps(event)\n"
        "    data = order\n"
        "    if ok:\n"
        "        data = body\n"
        "    await client.publish_event(pubsub_name='pubsub', topic_name='orders', data=body, "
        "data_content_type='application/json')\n"
        "    await client.invoke_binding('mailer', 'create', data=data)\n",
        # The workflow runtime's decorators, used on an instance; start() called without await.
        "import json\n\n"
        "from dapr.aio.clients import DaprClient\n"
        "from dapr.ext.workflow import DaprWorkflowContext, RetryPolicy, WorkflowRuntime\n\n"
        "runtime = WorkflowRuntime()\n\n"
        "@runtime.workflow(name='order')\n"
        "def order(ctx: DaprWorkflowContext, item: dict):\n"
        "    policy = RetryPolicy(first_retry_interval=1, max_number_of_attempts=3)\n"
        "    return (yield ctx.call_activity('reserve', input=item, retry_policy=policy))\n\n"
        "async def startup(client: DaprClient) -> None:\n"
        "    runtime.start()\n"
        "    await client.invoke_method('stock', 'reserve', data=json.dumps({'sku': 'a'}))\n",
    )
    INVALID = (
        # The client read out of a worker's argument tuple still gets the SDK's signature.
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "def worker(job: tuple) -> None:\n"
                "    client = job[0]\n"
                "    etag = 99\n"
                "    client.save_state(store_name='statestore', key='k', value='v', etag=etag)\n\n"
                "def main() -> None:\n"
                "    with DaprClient() as client:\n"
                "        worker((client, 1))\n"
            ),
            line=6,
            col=73,
        ),
        Invalid(
            (
                "import os\n\n"
                "from dapr.aio.clients import DaprClient\n\n"
                "def make() -> DaprClient:\n"
                "    return DaprClient(dapr_address=os.environ['DAPR_GRPC_ENDPOINT'])\n"
            ),
            line=6,
            col=23,
        ),
        Invalid(
            (
                "from dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI, Request\n\n"
                "app = FastAPI()\n"
                "dapr_app = DaprApp(app)\n\n"
                "@dapr_app.subscribe(pubsub_name='pubsub', topic='orders')\n"
                "async def on_order(request: Request) -> dict:\n"
                "    print(await request.body())\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=7,
            col=21,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def save(client: DaprClient, body: str) -> None:\n"
                "    await client.save_state(store='statestore', key='k', value=body)\n"
            ),
            line=4,
            col=29,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def publish(client: DaprClient, body: str) -> None:\n"
                "    await client.publish(pubsub_name='pubsub', topic_name='orders', data=body)\n"
            ),
            line=4,
            col=11,
        ),
        # The decorators are WorkflowRuntime methods, not module functions.
        Invalid("from dapr.ext.workflow import WorkflowRuntime, workflow\n", line=1, col=48),
        Invalid(
            (
                "from dapr.ext.workflow import WorkflowRuntime\n\n"
                "runtime = WorkflowRuntime()\n\n"
                "async def startup() -> None:\n"
                "    await runtime.start()\n"
            ),
            line=6,
            col=5,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def reserve(client: DaprClient) -> None:\n"
                "    await client.invoke_method('stock', 'reserve', data={'sku': 'a'})\n"
            ),
            line=4,
            col=57,
        ),
        # A dict built above the call, or received as a dict parameter, is no less a dict.
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def publish(client: DaprClient, order_id: str) -> None:\n"
                "    event = {'id': order_id}\n"
                "    await client.publish_event(pubsub_name='pubsub', topic_name='orders', "
                "data=event, data_content_type='application/json')\n"
            ),
            line=5,
            col=80,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def notify(client: DaprClient, note: dict) -> None:\n"
                "    await client.invoke_binding('mailer', 'create', data=note)\n"
            ),
            line=4,
            col=58,
        ),
        Invalid(
            (
                "from dapr.clients.grpc._request import TransactionalStateOperation\n\n"
                "def upsert(key: str, value: str) -> TransactionalStateOperation:\n"
                "    return TransactionalStateOperation(key, value, operation_type='upsert')\n"
            ),
            line=4,
            col=67,
        ),
        # A number where the SDK takes the ETag's text, on one of the paths to the call.
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def claim(client: DaprClient, key: str, fresh: bool) -> None:\n"
                "    etag = '1'\n"
                "    if fresh:\n"
                "        etag = 0\n"
                "    await client.save_state('statestore', key, 'mine', etag=etag)\n"
            ),
            line=7,
            col=61,
        ),
        # A TTL is state metadata (`ttlInSeconds`), not a state option.
        Invalid(
            (
                "from dapr.clients.grpc._state import StateOptions\n\n"
                "def options(seconds: int) -> StateOptions:\n"
                "    return StateOptions(ttl=seconds)\n"
            ),
            line=4,
            col=25,
        ),
        # The aio client under a plain `with`: it has only an asynchronous context manager.
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def publish(client: DaprClient, body: str) -> None:\n"
                "    with client:\n"
                "        await client.publish_event('pubsub', 'orders', body, "
                "data_content_type='application/json')\n"
            ),
            line=4,
            col=10,
        ),
        # Options given as a dict on every path, to a client built lazily (or handed in).
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "class Sessions:\n"
                "    def __init__(self, client=None) -> None:\n"
                "        self.client = client\n\n"
                "    def save(self, key: str, value: str, ttl: int) -> None:\n"
                "        if self.client is None:\n"
                "            self.client = DaprClient()\n"
                "        options = {}\n"
                "        if ttl:\n"
                "            options = {'ttlInSeconds': ttl}\n"
                "        self.client.save_state('statestore', key, value, options=options)\n"
            ),
            line=13,
            col=66,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._own_methods: frozenset[str] = frozenset()
        self._imported_client: str | None = None
        self._instances: Instances | None = None
        self._bindings: dict[int, dict[str, Kind]] = {}
        self._containers: frozenset[str] = frozenset()
        self._runtimes: frozenset[str] = frozenset()

    def visit_Module(self, node: ast.Module) -> None:
        self._own_methods = frozenset(f.name for cls, f in module_functions(node) if cls)
        # Every import is known before the walk starts (nested ones included).
        imported = self.ctx.imports.imported_modules()
        self._imported_client = next(
            (c for c in (_SYNC_CLIENT, _AIO_CLIENT) if c in imported), None
        )
        self._instances = instances_of(self.ctx, node)
        self._containers = _container_annotated(node)
        self._runtimes = frozenset(
            name
            for name, value in assigned_once(node).items()
            if isinstance(value, ast.Call)
            and CONSTRUCTORS.get(self.ctx.qualname(value.func) or "") == _WORKFLOW_RUNTIME
        )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        """`from dapr.x import name` of a name the SDK's module does not have: ImportError."""
        names = modules().get(node.module or "") if not node.level else None
        if names is None:
            return
        for alias in node.names:
            if alias.name != "*" and not alias.name.startswith("_") and alias.name not in names:
                self.report(
                    alias,
                    f"`{node.module}` ({_table()['sdk']}) has no `{alias.name}`: the import "
                    f"raises ImportError{_where_instead(node.module or '', alias.name)}",
                )

    def visit_Await(self, node: ast.Await) -> None:
        """`await runtime.start()` on a method that returns no awaitable: TypeError."""
        call = node.value
        target = self._callee(call) if isinstance(call, ast.Call) else None
        # Awaiting the synchronous client's calls is the sync-client-in-async mistake (DAPR001).
        if target is None or target[0] == _SYNC_CLIENT:
            return
        cls, method = target
        signature = signatures()[cls].get(method)
        if signature is not None and not signature["awaitable"] and method != "__init__":
            self.report(
                node,
                f"`{cls.rpartition('.')[2]}.{method}` is synchronous and returns no awaitable: "
                "awaiting it raises TypeError; call it without `await`",
            )

    def visit_With(self, node: ast.With) -> None:
        """`with` on the aio client, which has only `async with`: entering raises TypeError.
        (`async with` on the synchronous client is the sync-client-in-async mistake, DAPR001.)"""
        for item in node.items:
            expression = item.context_expr
            constructed = (
                CONSTRUCTORS.get(self.ctx.qualname(expression.func) or "")
                if isinstance(expression, ast.Call)
                else None
            )
            kind = self._kind(expression) if constructed is None else None
            cls = constructed or (_BY_KIND.get(kind) if kind is not None else None)
            methods = signatures().get(cls or "", {})
            if "__aenter__" in methods and "__enter__" not in methods:
                self.report(
                    expression,
                    f"`{cls}` has only an asynchronous context manager ({_table()['sdk']}): "
                    "`with` raises TypeError before the block runs; write `async with`",
                )

    def visit_Call(self, node: ast.Call) -> None:
        target = self._callee(node)
        if target is None:
            client = self._client_by_its_keywords(node)
            if client is not None:
                method = node.func.attr  # type: ignore[attr-defined]
                label = f"{client.rpartition('.')[2]}.{method}"
                self._check_literals(node, label, signatures()[client][method], [])
            return
        cls, method = target
        methods = signatures()[cls]
        label = f"{cls.rpartition('.')[2]}.{method}" if method != "__init__" else cls
        if method not in methods:
            close = difflib.get_close_matches(method, list(methods), n=1)
            hint = f": did you mean `{close[0]}`?" if close else ""
            self.report(node.func, f"`{cls}` ({_table()['sdk']}) has no method `{method}`{hint}")
            return
        self._check_arguments(node, label, methods[method])

    def _callee(self, node: ast.Call) -> tuple[str, str] | None:
        """(checked class, method) when the call surely goes to the SDK."""
        constructed = CONSTRUCTORS.get(self.ctx.qualname(node.func) or "")
        if constructed is not None:
            return constructed, "__init__"
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr.startswith("_"):
            return None
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id in self.ctx.app_objects:
            cls = _BY_APP_OBJECT.get(self.ctx.app_objects[owner.id])
            return (cls, func.attr) if cls is not None else None
        if isinstance(owner, ast.Name) and owner.id in self._runtimes:
            return _WORKFLOW_RUNTIME, func.attr
        if self._is_workflow_context(owner):
            return _WORKFLOW_CONTEXT, func.attr
        kind = self._kind(owner)
        cls = _BY_KIND.get(kind) if kind is not None else None
        return (cls, func.attr) if cls is not None else None

    def _client_by_its_keywords(self, node: ast.Call) -> str | None:
        """The Dapr client a receiver the file cannot place must be (`client = args[0]`,
        `self._client` built lazily): a file importing the client calls a method of its by
        name with keywords only the SDK's method takes (`store_name=`, `binding_metadata=`),
        and no class of the file defines that method. Only its arguments' kinds are judged."""
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr in self._own_methods:
            return None
        client = self._imported_client
        if client is None:
            return None
        signature = signatures()[client].get(func.attr)
        if signature is None or func.attr.startswith("_"):
            return None
        named = {k.arg for k in node.keywords if k.arg is not None}
        accepted = {*signature["positional"], *signature["keyword_only"]}
        if not named & _SDK_KEYWORDS or not named <= accepted:
            return None
        return client

    def _is_workflow_context(self, node: ast.expr) -> bool:
        """A parameter of the enclosing function annotated as the workflow's context."""
        function = self.ctx.function
        if function is None or not isinstance(node, ast.Name):
            return False
        arguments = function.args
        return any(
            a.arg == node.id
            and a.annotation is not None
            and self.ctx.qualname(a.annotation) in _CONTEXTS
            for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        )

    def _kind(self, node: ast.expr) -> Kind | None:
        instances = self._instances
        if instances is None or _declared_name(node) in self._containers:
            return None
        function = self.ctx.function
        bindings: dict[str, Kind] = {}
        if function is not None:
            bindings = self._bindings_of(instances, function)
        return instances.kind_of(node, bindings)

    def _bindings_of(self, instances: Instances, function: FunctionNode) -> dict[str, Kind]:
        if id(function) not in self._bindings:
            self._bindings[id(function)] = instances.at(function)
        return self._bindings[id(function)]

    def _check_arguments(self, node: ast.Call, label: str, signature: dict[str, Any]) -> None:
        positional: list[str] = signature["positional"]
        accepted = [*positional, *signature["keyword_only"]]
        listed = ", ".join(accepted) or "no arguments"
        unpacked_args = any(isinstance(a, ast.Starred) for a in node.args)
        unpacked_kwargs = any(k.arg is None for k in node.keywords)
        given = [] if unpacked_args else positional[: len(node.args)]
        if (
            not unpacked_args
            and not signature["var_positional"]
            and len(node.args) > len(positional)
        ):
            extra = node.args[len(positional)]
            self.report(
                extra,
                f"`{label}` takes {len(positional)} positional argument(s) ({listed}); "
                f"{len(node.args)} given",
            )
            return
        for keyword in node.keywords:
            name = keyword.arg
            if name is None:
                continue
            if name not in accepted and not signature["var_keyword"]:
                close = difflib.get_close_matches(name, accepted, n=1, cutoff=0.5)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                self.report(
                    keyword,
                    f"`{label}` has no parameter `{name}`{hint} (it takes {listed})",
                )
                return
            if name in given:
                self.report(keyword, f"`{label}` gets `{name}` twice, by position and by name")
                return
        if self._check_literals(node, label, signature, given):
            return
        if unpacked_args or unpacked_kwargs:
            return
        named = {k.arg for k in node.keywords}
        missing = [p for p in signature["required"] if p not in given and p not in named]
        if missing:
            self.report(
                node,
                f"`{label}` is missing its required argument(s) {', '.join(missing)} "
                f"(it takes {listed})",
            )

    def _check_literals(
        self, node: ast.Call, label: str, signature: dict[str, Any], given: list[str]
    ) -> bool:
        """A dict/list/str display where the parameter's annotation rules that kind out."""
        literals: dict[str, list[str]] = signature["literals"]
        passed = [*zip(given, node.args, strict=False)]
        passed += [(k.arg, k.value) for k in node.keywords if k.arg is not None]
        for name, value in passed:
            if name not in literals:
                continue
            kind = next((k for k in self._argument_kinds(value) if k not in literals[name]), None)
            if kind is None:
                continue
            accepted = [k for k in literals[name] if k != "None"]
            takes = " or ".join(accepted) if accepted else "an object of the SDK's own type"
            self.report(
                value,
                f"`{label}` takes `{name}` as {takes}, not {_article(kind)} {kind} (its "
                f"annotation in {_table()['sdk']}): the call fails or sends something else",
            )
            return True
        return False

    def _argument_kinds(self, node: ast.expr) -> list[str]:
        """The kinds of value an argument can be: a display's or a literal's, or those a name of
        the enclosing function is bound to - the dict built a line above the call, a parameter
        annotated as a dict (a request body), or a literal one branch assigns (`etag = 99`, or
        `etag = state.etag if first else 99`)."""
        function = self.ctx.function
        if not isinstance(node, ast.Name) or function is None:
            kind = _literal_kind(node)
            return [kind] if kind is not None else []
        value = single_assignments(function).get(node.id)
        if isinstance(value, ast.IfExp):
            # `etag = current.etag if first else 99`: the literal branch is one of its values.
            branches = (_literal_kind(value.body), _literal_kind(value.orelse))
            return [kind for kind in branches if kind is not None]
        if value is not None:
            kind = _literal_kind(value)
            return [kind] if kind is not None else []
        arguments = function.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            if argument.arg == node.id and argument.annotation is not None:
                kind = _annotated_kind(argument.annotation)
                return [kind] if kind is not None else []
        values = [
            statement.value
            for statement in own_nodes(function)
            if isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in statement.targets)
        ]
        kinds = [_literal_kind(value) for value in values]
        if values and all(kinds):
            # Every assignment is a display or literal (`options = {}`, then `{'ttl': n}`).
            return [kind for kind in kinds if kind is not None]
        return [
            kind
            for value, kind in zip(values, kinds, strict=True)
            if isinstance(value, ast.Constant) and kind is not None
        ]


def _annotated_kind(annotation: ast.expr) -> str | None:
    """ "dict" for a parameter annotated `dict`, `Dict`, `dict[str, Any]` or `typing.Dict[...]`."""
    base = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
    return "dict" if name in ("dict", "Dict") else None


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"


def _literal_kind(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and type(node.value) in (str, int, float, bool):
        return type(node.value).__name__
    return _DISPLAYS.get(type(node))


def _where_instead(module: str, name: str) -> str:
    """Where the name is: a method of one of the module's classes, or another SDK module."""
    for cls, methods in signatures().items():
        if cls.startswith(f"{module}.") and name in methods:
            return f"; `{name}` is a method of `{cls.rpartition('.')[2]}`, used on an instance"
    homes = [m for m, names in modules().items() if names and name in names]
    if homes:
        # The shortest path, a public one first: where the SDK's own examples import it from.
        home = min(homes, key=lambda m: ("._" in m, len(m)))
        return f"; it is in `{home}`"
    close = difflib.get_close_matches(name, modules()[module] or [], n=1)
    return f": did you mean `{close[0]}`?" if close else ""


# Annotations that say what the value itself is (`Optional[DaprClient]`); any other subscript
# declares a container of such values (`list[DaprClient]`), whose methods are the container's.
_WRAPPERS = frozenset({"Optional", "Annotated", "Union"})


def _container_annotated(module: ast.Module) -> frozenset[str]:
    """Names and attributes the module anywhere annotates as a container (`list[DaprClient]`)."""
    found: set[str] = set()
    for node in nodes_of(module, ast.AnnAssign, ast.arg):
        pairs: list[tuple[ast.expr | str, ast.expr | None]] = []
        if isinstance(node, ast.AnnAssign):
            pairs.append((node.target, node.annotation))
        elif isinstance(node, ast.arg):
            pairs.append((node.arg, node.annotation))
        for target, annotation in pairs:
            name = target if isinstance(target, str) else _declared_name(target)
            if name is not None and _is_container(annotation):
                found.add(name)
    return frozenset(found)


def _is_container(annotation: ast.expr | None) -> bool:
    if not isinstance(annotation, ast.Subscript):
        return False
    base = annotation.value
    base_name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
    return base_name not in _WRAPPERS


def _declared_name(node: ast.expr) -> str | None:
    """`x` for a name, `.x` for an attribute such as `self.x`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f".{node.attr}"
    return None
