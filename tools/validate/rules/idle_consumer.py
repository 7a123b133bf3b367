"""DAPR047: a consumer program that only waits forever, so no event ever reaches its handlers.

Placeholder consumers are common in generated backends: a `Consumer` class with
`handle_task_event(event)` methods and a `start()` that logs "waiting for events" and sleeps
forever, run by `asyncio.run(main())`. Dapr delivers an event only to a route the sidecar was told
about (a programmatic `/dapr/subscribe`, a Subscription manifest, `DaprApp.subscribe`) or to a
streaming subscription the program opens; a program that serves nothing and opens nothing is
never called, whatever its handlers would do.

Reported at the function that waits, when the file is a one-shot program (see `is_script`) that
serves no app and defines handler-shaped functions nothing in it calls, and its program path -
the coroutine `asyncio.run` starts and the waiting functions - starts nothing beside the wait (no
server, thread, task, scheduler, streaming subscription or other module's code): it only logs,
reads its settings and builds its own objects.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, is_log_call, module_functions, nodes_of, walk
from tools.validate.context import FileContext
from tools.validate.rules._reach import is_script
from tools.validate.rules.base import Invalid, Rule, header

# How a program waits for nothing: `asyncio.sleep(float("inf"))`, `Event().wait()`, `Future()`.
_FOREVER = frozenset({"inf", "infinity"})
# Calls that only set the program up: reading its settings, logging, building its own objects.
_SETUP = frozenset({"getenv", "get", "load_dotenv", "basicConfig", "getLogger", "float", "int"})
# Words a handler's name starts with, and names its event parameter has.
_HANDLER_PREFIXES = ("handle", "on_", "process")
_EVENT_PARAMETERS = frozenset({"event", "evt", "message", "msg", "event_data", "cloud_event"})
_HEAD = (
    "import asyncio\n"
    "import logging\n\n"
    "log = logging.getLogger(__name__)\n\n"
    "class AuditConsumer:\n"
    "    async def handle_task_event(self, event: dict) -> bool:\n"
    "        log.info('audit %s', event.get('id'))\n"
    "        return True\n\n"
)


class IdleConsumer(Rule):
    id = "DAPR047"
    name = "consumer-never-subscribes"
    message = (
        "this consumer only waits forever: nothing subscribes it (no route, `/dapr/subscribe`, "
        "Subscription or streaming subscription), so no event ever reaches its handlers"
    )
    why = (
        "Dapr calls an app only where it was told to: a route listed by `GET /dapr/subscribe`, "
        "a Subscription manifest, `DaprApp.subscribe` - or a streaming subscription the program "
        "opens itself (`client.subscribe_with_handler(...)`). A program that serves no route and "
        "opens no subscription, and just sleeps after logging that it waits for events, is never "
        "delivered anything: its handlers never run, and every event meant for them is consumed "
        "by nobody (or piles up in the broker)."
    )
    fix = (
        "Serve the handlers as routes of a web app (`DaprApp(app).subscribe(pubsub=..., "
        "topic=...)`, or `GET /dapr/subscribe` listing their routes), or open a streaming "
        "subscription: `close = client.subscribe_with_handler(pubsub, topic, handler)` with the "
        "aio client, then wait."
    )
    VALID = (
        # A streaming subscription is opened before the wait.
        "import asyncio\n\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "async def handle_order(message) -> None:\n"
        "    print(message.data())\n\n"
        "async def main() -> None:\n"
        "    async with DaprClient() as client:\n"
        "        close = await client.subscribe_with_handler('pubsub', 'orders', handle_order)\n"
        "        await asyncio.sleep(float('inf'))\n"
        "        await close()\n\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n",
        # The handlers are called by the program itself (a replay tool).
        _HEAD + "async def main() -> None:\n"
        "    consumer = AuditConsumer()\n"
        "    await consumer.handle_task_event({'id': '1'})\n"
        "    await asyncio.sleep(float('inf'))\n\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n",
        # A program that waits forever but has no handlers: a sidecar keep-alive, no consumer.
        "import asyncio\n\n"
        "async def main() -> None:\n"
        "    await asyncio.Event().wait()\n\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n",
    )
    INVALID = (
        Invalid(
            _HEAD + "    async def start(self) -> None:\n"
            "        log.info('waiting for task events...')\n"
            "        await asyncio.sleep(float('inf'))\n\n"
            "async def main() -> None:\n"
            "    await AuditConsumer().start()\n\n"
            "if __name__ == '__main__':\n"
            "    asyncio.run(main())\n",
            line=11,
            col=5,
        ),
        # An idle loop is the same wait.
        Invalid(
            "import asyncio\n\n"
            "async def on_reminder(event: dict) -> None:\n"
            "    print(event)\n\n"
            "async def main() -> None:\n"
            "    while True:\n"
            "        await asyncio.sleep(60)\n\n"
            "if __name__ == '__main__':\n"
            "    asyncio.run(main())\n",
            line=6,
            col=1,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        if not is_script(self.ctx, module) or self.ctx.app_objects:
            return
        functions = [function for _, function in module_functions(module)]
        own = {function.name for function in functions} | {
            c.name for c in module.body if isinstance(c, ast.ClassDef)
        }
        called = {name for call in nodes_of(module, ast.Call) if (name := _last_name(call.func))}
        handlers = [f for f in functions if _handler_shaped(f) and f.name not in called]
        if not handlers:
            return
        waits = [f for f in functions if isinstance(f, ast.AsyncFunctionDef) and _waits(f)]
        mains = [f for f in functions if f.name in _run_targets(module, self.ctx)]
        if not waits or not mains:
            return
        path = {id(f): f for f in [*mains, *waits]}.values()
        if all(
            self._only_sets_up(c, own) for f in path for c in walk(f) if isinstance(c, ast.Call)
        ):
            for function in waits:
                self.report(header(function), within=function)

    def _only_sets_up(self, call: ast.Call, own: set[str]) -> bool:
        """The call starts nothing: a log line, reading settings, the program's own functions
        and classes, the wait itself, or `asyncio.run` of the program's main."""
        name = _last_name(call.func)
        if name is None:
            return False
        if is_log_call(call) or name in own or name in _SETUP or _sleep(call, self.ctx):
            return True
        qualname = self.ctx.qualname(call.func) or ""
        if qualname in ("asyncio.run", "asyncio.Event", "asyncio.Future"):
            return True
        if name == "wait" and isinstance(call.func, ast.Attribute):
            return _is_event(call.func.value, self.ctx)
        return name in _VALUES


# Building plain values does no work: `set()`, `dict()`, `str(...)`.
_VALUES = frozenset({"set", "dict", "list", "str", "repr", "len", "isinstance"})


def _run_targets(module: ast.Module, ctx: FileContext) -> set[str]:
    """Names of the coroutines the program runs: `asyncio.run(main())`."""
    return {
        name
        for call in nodes_of(module, ast.Call)
        if ctx.calls(call, "asyncio.run") and call.args and isinstance(call.args[0], ast.Call)
        if (name := _last_name(call.args[0].func))
    }


def _last_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _handler_shaped(function: FunctionNode) -> bool:
    """`handle_task_event(self, event)`, `on_reminder(event)`: a function taking one event."""
    if not function.name.startswith(_HANDLER_PREFIXES):
        return False
    names = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
    return any(name in _EVENT_PARAMETERS for name in names)


def _waits(function: ast.AsyncFunctionDef) -> bool:
    """The coroutine awaits nothing but a wait that never ends (after logging)."""
    for node in walk(function):
        if isinstance(node, ast.Await) and _endless(node.value):
            return True
        if isinstance(node, ast.While) and _idle_forever(node):
            return True
    return False


def _endless(node: ast.expr) -> bool:
    """`asyncio.sleep(float('inf'))`, `asyncio.Event().wait()`, `asyncio.Future()`."""
    if not isinstance(node, ast.Call):
        return False
    name = _last_name(node.func)
    if name == "sleep" and node.args:
        delay = node.args[0]
        return (
            isinstance(delay, ast.Call)
            and _last_name(delay.func) == "float"
            and bool(delay.args)
            and isinstance(delay.args[0], ast.Constant)
            and str(delay.args[0].value).lower() in _FOREVER
        )
    if name == "wait" and isinstance(node.func, ast.Attribute):
        inner = node.func.value
        return isinstance(inner, ast.Call) and _last_name(inner.func) == "Event"
    return name == "Future" and not node.args


def _idle_forever(loop: ast.While) -> bool:
    """`while True:` whose body only sleeps and logs, and never leaves."""
    if not (isinstance(loop.test, ast.Constant) and loop.test.value is True):
        return False
    for statement in loop.body:
        if not isinstance(statement, ast.Expr):
            return False
        value = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
        if not isinstance(value, ast.Call):
            return False
        if not (is_log_call(value) or _last_name(value.func) == "sleep"):
            return False
    return True


def _sleep(call: ast.Call, ctx: FileContext) -> bool:
    return (ctx.qualname(call.func) or "") in ("asyncio.sleep", "time.sleep")


def _is_event(node: ast.expr, ctx: FileContext) -> bool:
    return isinstance(node, ast.Call) and (ctx.qualname(node.func) or "") == "asyncio.Event"
