"""DAPR003: work scheduled by a sleep loop or an in-process scheduler library.

Not every loop that sleeps schedules work. These are left alone:
- retry loops and bounded waits (`while attempt < limit`, a `return` once the operation succeeds);
- waits that only sleep until a condition holds (`while not ready: time.sleep(1)`, `while True:
  await asyncio.sleep(1)` followed by `if done: break`) and idle keep-alive loops that keep a
  process or a gRPC/streaming subscription running (`while True: time.sleep(1)`);
- loops that keep a lock or lease: they retry `try_lock` until it is granted or renew the lease
  while it is held - their only calls are the lock's, sleeps and log lines - and loops that give
  up once a deadline or count passes (`if time.monotonic() > deadline: break`);
- a program's own main loop: a loop at module level, or in a one-shot script, of a file that serves
  no app - a load generator or a CLI has no endpoint for the Jobs API to trigger.
A scheduler library is reported where the file imports it and uses the imported name.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import (
    NEW_SCOPES,
    FunctionNode,
    children,
    is_log_call,
    nodes_of,
    walk,
)
from tools.validate.context import FileContext
from tools.validate.rules.base import Invalid, Rule, Span, header
from tools.validate.rules.sync_client import one_shot_script

SLEEPS = frozenset({"asyncio.sleep", "time.sleep", "anyio.sleep", "trio.sleep", "gevent.sleep"})
# Words of a lock or lease operation's name: `try_lock`, `unlock`, `renew_lease`, `acquire`.
_LOCK_WORDS = frozenset({"lock", "unlock", "lease", "renew", "acquire", "release"})
# Calls that only compute: `str(...)`, `len(...)`, `loop.time()`.
_BOOKKEEPING = frozenset({"str", "repr", "len", "time", "monotonic", "get_event_loop"})
SCHEDULER_LIBRARIES = frozenset(
    {"apscheduler", "schedule", "aiocron", "crontab", "rocketry", "croniter"}
)


class PollingLoop(Rule):
    id = "DAPR003"
    name = "polling-loop"
    message = "a sleep loop schedules work in process instead of using the Dapr Jobs API"
    why = (
        "A `while` loop that sleeps between runs lives and dies with one replica: it runs once per "
        "replica when scaled out, forgets its schedule on restart and cannot be inspected. Dapr's "
        "Scheduler persists jobs and triggers exactly one replica of the app-id."
    )
    fix = (
        "Schedule the work once at startup with `await client.schedule_job(Job(name=..., "
        "schedule='@every 1m', ...), overwrite=True)` and handle it in `@app.post('/job/<name>')`."
    )
    VALID = (
        "import asyncio\n\n"
        "async def call_with_retry(op):\n"
        "    for attempt in range(5):\n"
        "        try:\n"
        "            return await op()\n"
        "        except ConnectionError:\n"
        "            await asyncio.sleep(2 ** attempt)\n",
        "import asyncio\n\nasync def connect(probe):\n    while True:\n        try:\n"
        "            return await probe()\n        except OSError:\n            pass\n"
        "        await asyncio.sleep(1)\n",
        "import asyncio\nimport time\n\nasync def wait_ready(probe, timeout: float) -> bool:\n"
        "    deadline = time.monotonic() + timeout\n    while time.monotonic() < deadline:\n"
        "        if await probe():\n            return True\n        await asyncio.sleep(0.5)\n"
        "    return False\n",
        # An idle keep-alive loop: the subscription's handler runs on the SDK's thread.
        "import time\nfrom dapr.clients import DaprClient\n\n"
        "def on_message(message) -> None:\n    print(message.data())\n\n"
        "def serve(client: DaprClient) -> None:\n"
        "    close = client.subscribe_with_handler('pubsub', 'orders', on_message)\n"
        "    try:\n        while True:\n            time.sleep(1)\n"
        "    finally:\n        close()\n",
        # Waiting for a condition is not scheduling work.
        "import asyncio\n\nasync def wait(job) -> None:\n"
        "    while True:\n        await asyncio.sleep(1)\n        if job.done:\n"
        "            break\n",
        # A load generator at module level of a file that serves no app.
        "import time\nimport requests\n\n"
        "n = 0\nwhile True:\n    n += 1\n"
        "    requests.post('http://orders/neworder', json={'id': n}, timeout=5)\n"
        "    time.sleep(1)\n",
        # A scheduler library imported but not used (a cron parser kept for later).
        "import croniter  # noqa: F401\n",
        # Keeping a lock: its lease is renewed while it is held; the work runs under it elsewhere.
        "import asyncio\nimport logging\nfrom dapr.aio.clients import DaprClient\n\n"
        "async def keep(client: DaprClient, state, owner: str) -> None:\n"
        "    while state.held:\n"
        "        await asyncio.sleep(10)\n"
        "        lock = await client.try_lock('lockstore', 'orders', owner, 30)\n"
        "        if not lock.success:\n"
        "            logging.warning('lock lost')\n"
        "            state.held = False\n",
        # Waiting with a deadline, checked inside the loop.
        "import time\n\ndef wait_done(job, deadline: float) -> None:\n"
        "    while not job.done:\n"
        "        if time.monotonic() > deadline:\n"
        "            raise TimeoutError(job)\n"
        "        job.refresh()\n"
        "        time.sleep(1)\n",
        # The same deadline as an assertion: it raises past the deadline.
        "import time\n\ndef wait_done(job, deadline: float) -> None:\n"
        "    while not job.done:\n"
        "        assert time.monotonic() < deadline, job\n"
        "        job.refresh()\n"
        "        time.sleep(1)\n",
    )
    INVALID = (
        Invalid(
            (
                "import asyncio\n\nasync def reminders(send):\n    while True:\n"
                "        await send()\n"
                "        await asyncio.sleep(60)\n"
            ),
            line=4,
            col=5,
        ),
        Invalid(
            (
                "from asyncio import sleep as zz\n\n"
                "async def drain(queue):\n"
                "    while True:\n"
                "        await zz(1)\n"
                "        await queue.flush()\n"
                "        if queue.closed:\n"
                "            break\n"
            ),
            line=4,
            col=5,
        ),
        Invalid(
            (
                "import time\n\n"
                "def cleanup(run):\n"
                "    while not run.stopped:\n"
                "        run.once()\n"
                "        time.sleep(30)\n"
            ),
            line=4,
            col=5,
        ),
        Invalid(
            (
                "from apscheduler.schedulers.asyncio import AsyncIOScheduler\n\n"
                "scheduler = AsyncIOScheduler()\n"
            ),
            line=1,
            col=1,
        ),
        # A scheduler built in another module, given recurring work by the app.
        Invalid(
            (
                "from contextlib import asynccontextmanager\n\n"
                "from fastapi import FastAPI\n\n"
                "from app.jobs import scheduler, sweep_reminders\n\n"
                "@asynccontextmanager\n"
                "async def lifespan(app: FastAPI):\n"
                "    scheduler.add_job(sweep_reminders, 'interval', seconds=60)\n"
                "    scheduler.start()\n"
                "    yield\n\n"
                "app = FastAPI(lifespan=lifespan)\n"
            ),
            line=9,
            col=5,
        ),
        # Holding a lease does not make the work done on every pass anything but scheduled.
        Invalid(
            (
                "import asyncio\n\nasync def sweep(lease, purge) -> None:\n"
                "    while True:\n"
                "        await lease.renew()\n"
                "        await purge()\n"
                "        await asyncio.sleep(60)\n"
            ),
            line=4,
            col=5,
        ),
        # The loop of a script that also serves an app runs beside its requests, on each replica.
        Invalid(
            (
                "import asyncio\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n"
                "async def reminders(send) -> None:\n"
                "    while True:\n        await send()\n        await asyncio.sleep(60)\n\n"
                "if __name__ == '__main__':\n    asyncio.run(reminders(print))\n"
            ),
            line=7,
            col=5,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        # (where, message, the function the loop is in) - judged once the file is known.
        self._loops: list[tuple[Span, str, FunctionNode | None]] = []
        self._libraries: list[tuple[ast.AST, str, list[str]]] = []

    def finish(self, module: ast.Module) -> None:
        serves = bool(self.ctx.app_objects or self.ctx.handlers)
        script = one_shot_script(self.ctx, module)
        for span, message, function in self._loops:
            # A program's main loop: nothing here for the Jobs API to trigger instead.
            if not serves and (function is None or script):
                continue
            self.report(span, message, within=function)
        used = _loaded_names(module)
        reported = False
        for node, module_name, bound in self._libraries:
            if used & set(bound):
                reported = True
                self.report(
                    node,
                    f"`{module_name}` schedules work inside the process instead of the Dapr "
                    "Jobs API",
                )
        if reported or not serves:
            return
        # A scheduler built in another module, given its jobs here (APScheduler's shape).
        for call in nodes_of(module, ast.Call):
            if _schedules_in_process(call):
                self.report(
                    call,
                    "an in-process scheduler is given recurring work: it runs on every replica "
                    "and forgets its schedule on restart, instead of the Dapr Jobs API",
                )

    def visit_While(self, node: ast.While) -> None:
        if _is_bounded(node.test) or _exits_on_success(node.body) or _returns(node.body):
            return  # a retry loop or a bounded wait, not a scheduler
        if self._only_waits(node.body):
            return  # an idle keep-alive loop, or a wait for a condition
        if _gives_up(node.body) or self._keeps_lock(node.body):
            return  # a bounded wait, or the upkeep of a lock: no business work is scheduled
        for sleep in self._unconditional_sleeps(node.body):
            name = self.ctx.qualname(sleep.func)
            message = f"this `while` loop calls {name}() on every pass: a polling scheduler"
            self._loops.append((header(node), message, self.ctx.function))
            return

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _is_scheduler(alias.name):
                bound = alias.asname or alias.name.partition(".")[0]
                self._libraries.append((alias, alias.name, [bound]))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level and _is_scheduler(node.module):
            bound = [alias.asname or alias.name for alias in node.names]
            self._libraries.append((node, node.module, bound))

    def _only_waits(self, body: list[ast.stmt]) -> bool:
        """Nothing but sleeps, `pass` and `if <condition>: break` - no work is done on a pass."""
        has_sleep = False
        for statement in body:
            if isinstance(statement, ast.Pass | ast.Continue) or _is_exit_check(statement):
                continue
            if self._unconditional_sleeps([statement]) and isinstance(statement, ast.Expr):
                has_sleep = True
                continue
            return False
        return has_sleep

    def _keeps_lock(self, body: list[ast.stmt]) -> bool:
        """True when the loop calls a lock or lease operation and nothing else that does work:
        it waits for the lock or keeps it alive, the work runs elsewhere under it."""
        calls = [n for s in body for n in walk(s) if isinstance(n, ast.Call)]
        context_managers = {
            id(item.context_expr)
            for s in body
            for n in walk(s)
            if isinstance(n, ast.With | ast.AsyncWith)
            for item in n.items
        }
        locks = [c for c in calls if _LOCK_WORDS & set(_callee(c).split("_"))]
        return bool(locks) and all(
            c in locks or id(c) in context_managers or self._is_bookkeeping(c) for c in calls
        )

    def _is_bookkeeping(self, call: ast.Call) -> bool:
        """A sleep, a clock reading, a log line or a conversion: no work of its own."""
        name = self.ctx.qualname(call.func) or ""
        return (
            name in SLEEPS
            or name.startswith("time.")
            or _callee(call) in _BOOKKEEPING
            or is_log_call(call)
        )

    def _unconditional_sleeps(self, body: list[ast.stmt]) -> list[ast.Call]:
        """Sleeps run on every pass: top-level statements, or in try/with bodies (not excepts:
        the `else` of a `try` runs on every pass that did not fail)."""
        found = []
        for statement in body:
            if isinstance(statement, ast.Expr):
                call = (
                    statement.value.value
                    if isinstance(statement.value, ast.Await)
                    else statement.value
                )
                if isinstance(call, ast.Call) and self.ctx.qualname(call.func) in SLEEPS:
                    found.append(call)
            elif isinstance(statement, ast.Try | ast.TryStar):
                found += self._unconditional_sleeps(
                    statement.body + statement.orelse + statement.finalbody
                )
            elif isinstance(statement, ast.With | ast.AsyncWith):
                found += self._unconditional_sleeps(statement.body)
        return found


def _gives_up(body: list[ast.stmt]) -> bool:
    """`if time.monotonic() > deadline: break` (or return/raise), or `assert time.monotonic() <
    deadline`, in the loop: a bounded wait."""
    return any(
        (
            isinstance(statement, ast.If)
            and _is_bounded(statement.test)
            and isinstance(statement.body[-1], ast.Break | ast.Return | ast.Raise)
        )
        or (isinstance(statement, ast.Assert) and _is_bounded(statement.test))
        for statement in body
    )


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_bounded(test: ast.expr) -> bool:
    """`while attempt < limit` / `while time.monotonic() < deadline`: the loop ends by itself."""
    return isinstance(test, ast.Compare) and all(
        isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in test.ops
    )


def _is_scheduler(module: str) -> bool:
    return module.partition(".")[0] in SCHEDULER_LIBRARIES


def _is_exit_check(statement: ast.stmt) -> bool:
    """`if <condition>: break` (or `return`): the loop waits until the condition holds."""
    return (
        isinstance(statement, ast.If)
        and not statement.orelse
        and len(statement.body) == 1
        and isinstance(statement.body[0], ast.Break | ast.Return)
    )


def _returns(body: list[ast.stmt]) -> bool:
    """A `return` in the loop (not in a nested function): it retries or waits until done."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            return True
        if not isinstance(node, NEW_SCOPES):
            stack.extend(children(node))
    return False


# APScheduler's triggers, as `add_job(func, trigger, ...)` names them.
_TRIGGERS = frozenset({"interval", "cron"})


def _schedules_in_process(call: ast.Call) -> bool:
    """`scheduler.add_job(check, 'interval', seconds=60)` (or `trigger='cron'`)."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "add_job"):
        return False
    trigger = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "trigger":
            trigger = keyword.value
    return isinstance(trigger, ast.Constant) and trigger.value in _TRIGGERS


def _loaded_names(module: ast.Module) -> set[str]:
    return {node.id for node in nodes_of(module, ast.Name) if isinstance(node.ctx, ast.Load)}


def _exits_on_success(body: list[ast.stmt]) -> bool:
    """A `return`/`break` in a `try` body: the loop retries an operation until it succeeds."""
    for statement in body:
        if isinstance(statement, ast.Try | ast.TryStar):
            for inner in statement.body + statement.orelse:
                if any(isinstance(n, ast.Return | ast.Break) for n in walk(inner)):
                    return True
    return False
