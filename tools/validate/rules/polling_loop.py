from __future__ import annotations

import ast

from tools.validate.rules.base import Invalid, Rule, header

SLEEPS = frozenset({"asyncio.sleep", "time.sleep", "anyio.sleep", "trio.sleep", "gevent.sleep"})
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
                "async def wait(job):\n"
                "    while True:\n"
                "        await zz(1)\n"
                "        if job.done:\n"
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
        Invalid("from apscheduler.schedulers.asyncio import AsyncIOScheduler\n", line=1, col=1),
    )

    def visit_While(self, node: ast.While) -> None:
        if _is_bounded(node.test) or _exits_on_success(node.body):
            return  # a retry loop or a bounded wait, not a scheduler
        for sleep in self._unconditional_sleeps(node.body):
            name = self.ctx.qualname(sleep.func)
            self.report(
                header(node),
                f"this `while` loop calls {name}() on every pass: a polling scheduler",
            )
            return

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_library(alias, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            self._check_library(node, node.module)

    def _check_library(self, node: ast.AST, module: str) -> None:
        if module.partition(".")[0] in SCHEDULER_LIBRARIES:
            self.report(
                node, f"`{module}` schedules work inside the process instead of the Dapr Jobs API"
            )

    def _unconditional_sleeps(self, body: list[ast.stmt]) -> list[ast.Call]:
        """Sleeps run on every pass: top-level statements, or in try/with bodies (not excepts)."""
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
                found += self._unconditional_sleeps(statement.body + statement.finalbody)
            elif isinstance(statement, ast.With | ast.AsyncWith):
                found += self._unconditional_sleeps(statement.body)
        return found


def _is_bounded(test: ast.expr) -> bool:
    """`while attempt < limit` / `while time.monotonic() < deadline`: the loop ends by itself."""
    return isinstance(test, ast.Compare) and all(
        isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in test.ops
    )


def _exits_on_success(body: list[ast.stmt]) -> bool:
    """A `return`/`break` in a `try` body: the loop retries an operation until it succeeds."""
    for statement in body:
        if isinstance(statement, ast.Try | ast.TryStar):
            for inner in statement.body + statement.orelse:
                if any(isinstance(n, ast.Return | ast.Break) for n in ast.walk(inner)):
                    return True
    return False
