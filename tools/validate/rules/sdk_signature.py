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

from tools.validate.astutil import FunctionNode
from tools.validate.context import FileContext
from tools.validate.instances import Instances, Kind
from tools.validate.rules._sdk_table import FASTAPI_APP, GRPC_APP, TABLE
from tools.validate.rules.base import Invalid, Rule

_SYNC_CLIENT = "dapr.clients.DaprClient"
_AIO_CLIENT = "dapr.aio.clients.DaprClient"
_JOB = "dapr.clients.Job"
# Import paths of each checked class (the SDK re-exports them).
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
}
_BY_KIND: dict[Kind, str] = {
    "dapr-sync": _SYNC_CLIENT,
    "dapr-async": _AIO_CLIENT,
    "grpc-app": GRPC_APP,
}
_BY_APP_OBJECT = {"dapr": FASTAPI_APP, "grpc": GRPC_APP}


@cache
def _table() -> dict[str, Any]:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def signatures() -> dict[str, dict[str, Any]]:
    return _table()["classes"]


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
        "`publish_event(pubsub_name=, topic_name=)`, `save_state(store_name=, key=, value=)`."
    )
    fix = "Use the parameter names the message lists (from the installed `dapr` SDK)."
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
        # dapr.ext.grpc's App does take `pubsub_name`.
        "from dapr.ext.grpc import App\n\n"
        "app = App()\n\n"
        "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
        "def on_order(event) -> None:\n"
        "    print(event)\n",
    )
    INVALID = (
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
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._instances: Instances | None = None
        self._bindings: dict[int, dict[str, Kind]] = {}
        self._containers: frozenset[str] = frozenset()

    def visit_Module(self, node: ast.Module) -> None:
        self._instances = Instances(self.ctx, node)
        self._containers = _container_annotated(node)

    def visit_Call(self, node: ast.Call) -> None:
        target = self._callee(node)
        if target is None:
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
        kind = self._kind(owner)
        cls = _BY_KIND.get(kind) if kind is not None else None
        return (cls, func.attr) if cls is not None else None

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
            self._bindings[id(function)] = instances.in_function(function)
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


# Annotations that say what the value itself is (`Optional[DaprClient]`); any other subscript
# declares a container of such values (`list[DaprClient]`), whose methods are the container's.
_WRAPPERS = frozenset({"Optional", "Annotated", "Union"})


def _container_annotated(module: ast.Module) -> frozenset[str]:
    """Names and attributes the module anywhere annotates as a container (`list[DaprClient]`)."""
    found: set[str] = set()
    for node in ast.walk(module):
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
