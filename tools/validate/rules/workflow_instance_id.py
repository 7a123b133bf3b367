"""DAPR044: a workflow started from a delivery under a fresh instance id.

A delivery (a pub/sub message, a job trigger, an input binding event) is at least once: Dapr
delivers it again after a crash, a timeout or a failure answer, and the handler runs again from
the top. A workflow instance id is how Dapr tells one workflow from another: started under the
same id again, the schedule is refused while the first one runs, and the state of that id says
whether it ran. Started under a new id on every run (no `instance_id`, which makes the SDK draw a
random one, or one drawn from `uuid4()`, `time.time()` or a random source), each redelivery starts
one more workflow: the order is fulfilled, charged or mailed twice.

The start is judged in the delivery handlers of the file and the functions of the file they
call, and in a route another app of the project invokes (`invoke_method`) from its own delivery
handler: that route runs again on each redelivery too. An id built from anything else (the
message, its id, a business key, a value the file cannot read) is taken as stable.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, keyword, own_nodes, walk
from tools.validate.context import FileContext
from tools.validate.rules._http import Locals
from tools.validate.rules._reach import call_graph, per_message
from tools.validate.rules.base import Invalid, Rule

_SCHEDULE = "schedule_new_workflow"
# Calls whose value differs on every run: the id they make is new on each redelivery. A date
# (`datetime.now()`, formatted by the caller) is left out: a day's id is stable for that day.
_FRESH = frozenset(
    {
        *("uuid.uuid1", "uuid.uuid4", "uuid.uuid6", "uuid.uuid7"),
        *("time.time", "time.time_ns", "time.monotonic", "time.perf_counter"),
        *("os.urandom", "secrets.token_hex", "secrets.token_urlsafe"),
        *("random.random", "random.randint", "random.choices", "random.choice", "random.sample"),
        *("random.getrandbits", "shortuuid.uuid", "nanoid.generate", "ulid.new", "ulid.ulid"),
    }
)
_MAX_DEPTH = 4

_HEAD = (
    "import dapr.ext.workflow as wf\n"
    "from dapr.ext.fastapi import DaprApp\n"
    "from dapr.ext.workflow.aio import DaprWorkflowClient\n"
    "from fastapi import FastAPI, Request\n"
    "from pydantic import BaseModel, ValidationError\n\n"
    "class Payment(BaseModel):\n"
    "    order_id: str\n\n"
    "@wf.workflow(name='fulfil')\n"
    "def fulfil(ctx: wf.DaprWorkflowContext, order: dict):\n"
    "    return order\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n"
    "workflows = DaprWorkflowClient()\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='payments')\n"
    "async def on_payment(request: Request) -> dict:\n"
    "    event = await request.json()\n"
    "    try:\n"
    "        payment = Payment.model_validate(event.get('data'))\n"
    "    except ValidationError:\n"
    "        return {'status': 'DROP'}\n"
)
_SUCCESS = "    return {'status': 'SUCCESS'}\n"


class WorkflowFreshInstanceId(Rule):
    id = "DAPR044"
    name = "workflow-fresh-instance-id"
    judges = frozenset({"pubsub", "binding", "job", "invoked"})
    message = (
        "a workflow is started from a delivery under a new instance id on every run: a "
        "redelivery starts a second workflow"
    )
    why = (
        "Dapr delivers messages, job triggers and binding events at least once: after a crash, a "
        "timeout or a failure answer the handler runs again. A workflow's instance id is what "
        "tells Dapr it already runs: scheduling an id that is running is refused, and its state "
        "shows the start happened. Without `instance_id` the SDK draws a random one, and an id "
        "from uuid4(), time.time() or a random source is new each time, so every redelivery "
        "starts one more workflow and its activities (a charge, a shipment, a mail) run twice."
    )
    fix = (
        "Derive the instance id from the message: its business key (`f'fulfil-{order.id}'`) or "
        "its CloudEvent id. Before scheduling, `get_workflow_state(instance_id)` tells whether a "
        "previous delivery started it already; start it only when there is none."
    )
    VALID = (
        # The id is the order's: a redelivery finds the workflow it started.
        _HEAD + "    instance = f'fulfil-{payment.order_id}'\n"
        "    if await workflows.get_workflow_state(instance) is None:\n"
        "        await workflows.schedule_new_workflow(\n"
        "            fulfil, input=payment.model_dump(), instance_id=instance\n"
        "        )\n" + _SUCCESS,
        # The CloudEvent id names the delivery itself.
        "import uuid\n\n" + _HEAD + "    await workflows.schedule_new_workflow(\n"
        "        fulfil, input=payment.model_dump(), instance_id=event['id']\n"
        "    )\n"
        + _SUCCESS
        # A random id for a plain route's request: its caller, not Dapr, decides to send again.
        + "\n@app.post('/orders')\n"
        "async def order(payment: Payment) -> dict:\n"
        "    instance = str(uuid.uuid4())\n"
        "    await workflows.schedule_new_workflow(fulfil, instance_id=instance)\n"
        "    return {'instance': instance}\n",
    )
    INVALID = (
        # No instance id: the SDK draws a random one on every delivery.
        Invalid(
            _HEAD
            + "    await workflows.schedule_new_workflow(fulfil, input=payment.model_dump())\n"
            + _SUCCESS,
            line=25,
            col=11,
        ),
        # A random suffix makes the id new on each run, whatever the order's id.
        Invalid(
            "import uuid\n\n"
            + _HEAD
            + "    instance = f'fulfil-{payment.order_id}-{uuid.uuid4().hex[:8]}'\n"
            "    await start(instance, payment)\n" + _SUCCESS + "\n"
            "async def start(instance: str, payment: Payment) -> None:\n"
            "    await workflows.schedule_new_workflow(\n"
            "        fulfil, input=payment.model_dump(), instance_id=instance\n"
            "    )\n",
            line=32,
            col=11,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()

    def finish(self, module: ast.Module) -> None:
        reached = per_message(self.ctx, module)
        if not reached:
            return
        self._locals.add_module(module)
        for function in call_graph(module).all():
            found = reached.get(id(function))
            if found is None:
                continue
            local = self._locals.of(function)
            for node in own_nodes(function):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == _SCHEDULE
                ):
                    continue
                why = self._fresh(node, function, found.entry, local)
                if why is None:
                    continue
                message = f"{self.message} ({why})"
                if found.entry is not function:
                    message += f"; the start is in {found.how}"
                self.report(node, message, within=function, deferred_to=found.entry)

    def _fresh(
        self,
        call: ast.Call,
        function: FunctionNode,
        entry: FunctionNode,
        local: dict[str, ast.expr],
    ) -> str | None:
        """Why the call's instance id is new on every run, or None when it may be stable."""
        if any(k.arg is None for k in call.keywords):
            return None  # `**options` may carry the id
        given = keyword(call, "instance_id")
        if given is None or (isinstance(given, ast.Constant) and given.value is None):
            return "none is given, so the SDK draws a random one"
        drawn = self._drawn(given, local, 0)
        if drawn is None and function is not entry and isinstance(given, ast.Name):
            drawn = self._passed(given.id, function, entry)
        return f"it is drawn from `{drawn}()`" if drawn is not None else None

    def _drawn(self, node: ast.expr, local: dict[str, ast.expr], depth: int) -> str | None:
        """The fresh call the expression's value comes from, following names in the function."""
        for part in walk(node):
            if isinstance(part, ast.Call):
                qualname = self.ctx.qualname(part.func) or ""
                if qualname in _FRESH:
                    return qualname
            elif (
                isinstance(part, ast.Name)
                and part.id in local
                and depth < _MAX_DEPTH
                and local[part.id] is not node
            ):
                found = self._drawn(local[part.id], local, depth + 1)
                if found is not None:
                    return found
        return None

    def _passed(self, parameter: str, function: FunctionNode, entry: FunctionNode) -> str | None:
        """The fresh call a handler passes as the helper's `parameter` (positionally or by name)."""
        positional = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
        if positional[:1] in (["self"], ["cls"]):
            positional = positional[1:]
        local = self._locals.of(entry)
        for node in own_nodes(entry):
            if not isinstance(node, ast.Call) or _called_name(node.func) != function.name:
                continue
            passed = keyword(node, parameter)
            if passed is None and parameter in positional:
                index = positional.index(parameter)
                passed = node.args[index] if index < len(node.args) else None
            if passed is not None:
                found = self._drawn(passed, local, 0)
                if found is not None:
                    return found
        return None


def _called_name(func: ast.expr) -> str:
    """`start` for `start(...)` and `self.start(...)`."""
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""
