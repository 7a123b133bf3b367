from __future__ import annotations

import ast
from collections.abc import Iterator

from tools.validate.astutil import FunctionNode, functions_in, module_functions, own_nodes
from tools.validate.context import FileContext
from tools.validate.rules._reach import per_message
from tools.validate.rules.base import Invalid, Rule

_COLLECTIONS = frozenset(
    {"collections.OrderedDict", "collections.defaultdict", "collections.deque"}
)
# Calls that remember something in the container.
_FILLING_METHODS = frozenset({"add", "append", "setdefault", "update", "appendleft"})


class InMemoryDedupe(Rule):
    id = "DAPR018"
    name = "in-memory-dedupe"
    message = "handled messages are remembered in a module-level container"
    why = (
        "Dapr delivers messages and job triggers at least once, so handlers skip duplicates. A "
        "module-level set or dict of seen ids forgets everything on restart (exactly when "
        "redeliveries come), is not shared between replicas (a redelivery may reach another "
        "one), and grows without bound."
    )
    fix = (
        "Remember handled ids in the state store: claim `seen:<event id>` with "
        "`save_state(..., options=StateOptions(concurrency=Concurrency.first_write), "
        "state_metadata={'ttlInSeconds': ...})` and skip the message when the claim conflicts."
    )
    VALID = (
        # A module-level constant set: looked up, never filled.
        "from dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI, Request\n\n"
        "app = FastAPI()\n"
        "dapr_app = DaprApp(app)\n"
        "KNOWN = {'created', 'paid'}\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
        "async def on_order(request: Request) -> dict:\n"
        "    event = await request.json()\n"
        "    if event.get('type') not in KNOWN:\n"
        "        return {'status': 'DROP'}\n"
        "    return {'status': 'SUCCESS'}\n",
        # A container local to one delivery.
        "from dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI, Request\n\n"
        "app = FastAPI()\n"
        "dapr_app = DaprApp(app)\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='batches')\n"
        "async def on_batch(request: Request) -> dict:\n"
        "    seen = set()\n"
        "    for item in (await request.json()).get('data', []):\n"
        "        if item in seen:\n"
        "            continue\n"
        "        seen.add(item)\n"
        "    return {'status': 'SUCCESS'}\n",
        # A helper no delivery of this file calls: judged where a delivery handler of another
        # module calls it (the project's check), never on its own.
        "seen: set[str] = set()\n\n"
        "async def record(event: dict) -> None:\n"
        "    if event['id'] in seen:\n"
        "        return\n"
        "    seen.add(event['id'])\n",
        # An HTTP route (not a delivery) keeping a per-process cache.
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n"
        "cache: dict[str, str] = {}\n\n"
        "@app.get('/names/{key}')\n"
        "async def name(key: str) -> str:\n"
        "    if key not in cache:\n"
        "        cache[key] = key.title()\n"
        "    return cache[key]\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.ext.fastapi import DaprApp\n"
                "from fastapi import FastAPI, Request\n"
                "from pydantic import BaseModel, ValidationError\n\n"
                "class Order(BaseModel):\n"
                "    id: str\n\n"
                "app = FastAPI()\n"
                "dapr_app = DaprApp(app)\n"
                "processed: set[str] = set()\n\n"
                "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
                "async def on_order(request: Request) -> dict:\n"
                "    try:\n"
                "        order = Order.model_validate((await request.json()).get('data'))\n"
                "    except ValidationError:\n"
                "        return {'status': 'DROP'}\n"
                "    if order.id in processed:\n"
                "        return {'status': 'SUCCESS'}\n"
                "    processed.add(order.id)\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=18,
            col=8,
        ),
        Invalid(
            (
                "from fastapi import FastAPI, Request\n\n"
                "app = FastAPI()\n"
                "SEEN = {}\n\n"
                "def first_time(event_id: str) -> bool:\n"
                "    if SEEN.get(event_id):\n"
                "        return False\n"
                "    SEEN[event_id] = True\n"
                "    return True\n\n"
                "@app.post('/job/reconcile')\n"
                "async def reconcile(request: Request) -> dict:\n"
                "    if first_time(request.headers.get('traceparent', '')):\n"
                "        print('reconciling')\n"
                "    return {}\n"
            ),
            line=7,
            col=8,
        ),
    )

    judges = frozenset({"pubsub", "binding", "job"})

    def finish(self, module: ast.Module) -> None:
        containers = set(_module_containers(self.ctx, module))
        if not containers:
            return
        reached = per_message(self.ctx, module)
        for function in functions_in(module):
            found = reached.get(id(function))
            if found is None:
                continue
            for check, name in _remembering(function, containers):
                message = (
                    f"`{name}` remembers handled messages in memory in {found.how}: lost on "
                    "restart and not shared with other replicas"
                )
                self._report_for(found.entry, check, message, function)
                break
        # No delivery of this file reaches them: a delivery handler of another module may call
        # them for every message (`await handle_reminder(event)`), which the project decides.
        for owner, function in module_functions(module):
            if id(function) in reached:
                continue
            for check, name in _remembering(function, containers):
                message = (
                    f"`{name}` remembers handled messages in memory: lost on restart and not "
                    "shared with other replicas"
                )
                site = self.ctx.diagnostic(self, check, message, within=function)
                if site is not None:
                    key = f"{owner.name}.{function.name}" if owner else function.name
                    self.ctx.unreached_sites.append((key, site))
                break

    def _report_for(
        self, entry: FunctionNode, node: ast.AST, message: str, function: FunctionNode
    ) -> None:
        """Report, or leave it to the project-level check when `entry` may not be a delivery."""
        target = self.ctx.deferral_target(entry, entry)
        diagnostic = self.ctx.diagnostic(self, node, message, within=function)
        if target is None or diagnostic is None:
            self.report(node, message, within=function)
        else:
            self.ctx.defer(target, self.judges, diagnostic)


def _module_containers(ctx: FileContext, module: ast.Module) -> Iterator[str]:
    """Module-level names bound to an empty mutable container."""
    for statement in module.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        if _empty_container(ctx, value):
            yield from (t.id for t in targets if isinstance(t, ast.Name))


def _empty_container(ctx: FileContext, value: ast.expr) -> bool:
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.List):
        return not value.elts
    if not isinstance(value, ast.Call):
        return False
    if isinstance(value.func, ast.Name) and value.func.id in ("set", "dict", "list"):
        return not value.args and not value.keywords
    # defaultdict(set), deque(maxlen=1000): empty however they are configured.
    return ctx.qualname(value.func) in _COLLECTIONS


def _remembering(function: FunctionNode, containers: set[str]) -> Iterator[tuple[ast.AST, str]]:
    """The checks of module containers the function also fills: a memory of handled ids."""
    shared = containers - _local_names(function)
    filled = {name for name in shared if _fills(function, name)}
    return iter(_checks(function, filled))


def _local_names(function: FunctionNode) -> set[str]:
    """Names the function binds itself (unless declared global): they shadow the module's."""
    declared = {
        name for node in own_nodes(function) if isinstance(node, ast.Global) for name in node.names
    }
    bound = {a.arg for a in [*function.args.posonlyargs, *function.args.args]}
    bound |= {a.arg for a in function.args.kwonlyargs}
    for node in own_nodes(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    return bound - declared


def _fills(function: FunctionNode, name: str) -> bool:
    for node in own_nodes(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _FILLING_METHODS
            and _is_name(node.func.value, name)
        ) or (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Store)
            and _is_name(node.value, name)
        ):
            return True
    return False


def _checks(function: FunctionNode, names: set[str]) -> Iterator[tuple[ast.expr, str]]:
    """`x in name`, `x not in name` and `name.get(x)`, in source order."""
    found: list[tuple[ast.expr, str]] = []
    for node in own_nodes(function):
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if (
                    isinstance(op, ast.In | ast.NotIn)
                    and isinstance(right, ast.Name)
                    and right.id in names
                ):
                    found.append((node, right.id))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
        ):
            found.append((node, node.func.value.id))
    yield from sorted(found, key=lambda item: (item[0].lineno, item[0].col_offset))


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
