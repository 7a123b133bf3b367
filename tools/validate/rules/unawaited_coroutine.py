"""DAPR046: a coroutine function called without `await`: its body never runs.

Calling an `async def` only creates a coroutine object; nothing of its body runs until it is
awaited (or handed to `asyncio.create_task`, `gather` and the like). A call made as a statement
of its own drops that object: Python warns "coroutine ... was never awaited" at garbage
collection and the work is silently skipped - the event is not published, the state is not
saved, and no exception reaches the caller to log or retry.

Judged in this file for its own coroutine functions and methods (`publish(...)`,
`self.save(...)`, `service.notify(...)` on a module-level instance); a coroutine of another
project module is followed by the project-level check (tools/validate/unawaited.py). Async
generators are left alone, and so is a call whose result is used in any way.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, module_functions, own_nodes, walk
from tools.validate.rules._reach import call_graph
from tools.validate.rules.base import Invalid, Rule


class UnawaitedCoroutine(Rule):
    id = "DAPR046"
    name = "coroutine-never-awaited"
    message = "a coroutine function is called without `await`: its body never runs"
    why = (
        "Calling an `async def` creates a coroutine and runs none of it; dropped unawaited, it "
        "is garbage-collected with only a RuntimeWarning. The publish, save or invocation "
        "inside never happens, and since no exception is raised, nothing logs, retries or "
        "reports it: the caller goes on as if the work were done and Dapr acknowledges the "
        "message that asked for it."
    )
    fix = (
        "`await` the call (the caller must then be `async def`), or hand it to "
        "`asyncio.create_task(...)` and keep the task (a set of tasks, a TaskGroup) so it runs "
        "and its failure is seen."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\n"
        "class Events:\n"
        "    def __init__(self, dapr: DaprClient) -> None:\n"
        "        self.dapr = dapr\n\n"
        "    async def publish(self, body: str) -> None:\n"
        "        await self.dapr.publish_event('pubsub', 'tasks', body, "
        "data_content_type='application/json')\n\n"
        "    async def created(self, body: str) -> None:\n"
        "        await self.publish(body)\n",
        # Handed to the event loop as a task that is kept.
        "import asyncio\n\n"
        "tasks: set[asyncio.Task[None]] = set()\n\n"
        "async def audit(entry: str) -> None:\n"
        "    print(entry)\n\n"
        "def record(entry: str) -> None:\n"
        "    task = asyncio.get_running_loop().create_task(audit(entry))\n"
        "    tasks.add(task)\n"
        "    task.add_done_callback(tasks.discard)\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "class Events:\n"
                "    def __init__(self, dapr: DaprClient) -> None:\n"
                "        self.dapr = dapr\n\n"
                "    async def publish(self, body: str) -> None:\n"
                "        await self.dapr.publish_event('pubsub', 'tasks', body, "
                "data_content_type='application/json')\n\n"
                "    async def created(self, body: str) -> None:\n"
                "        self.publish(body)\n"
            ),
            line=11,
            col=9,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        graph = call_graph(module)
        for _, function in module_functions(module):
            for call in dropped_calls(function):
                callee = graph.callee(call.func, function)
                if callee is not None and is_coroutine_function(callee):
                    self.report(
                        call,
                        f"`{callee.name}` is `async def` and is called without `await` in "
                        f"`{function.name}`: the coroutine is dropped and its body never runs",
                        within=function,
                    )


def dropped_calls(function: FunctionNode) -> list[ast.Call]:
    """Calls made as statements of their own: their result goes nowhere."""
    return [
        node.value
        for node in own_nodes(function)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
    ]


def is_coroutine_function(function: FunctionNode) -> bool:
    """An `async def` that is no async generator (those are iterated, not awaited)."""
    return isinstance(function, ast.AsyncFunctionDef) and not any(
        isinstance(node, ast.Yield | ast.YieldFrom) for node in walk(function)
    )
