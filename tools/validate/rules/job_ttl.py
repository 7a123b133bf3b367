from __future__ import annotations

import ast

from tools.validate.context import FileContext
from tools.validate.rules._http import Locals
from tools.validate.rules._jobs import job_spec
from tools.validate.rules.base import Invalid, Rule


class JobNeedsSchedule(Rule):
    id = "DAPR026"
    name = "job-ttl-or-repeats-without-schedule"
    message = "a job without a `schedule` is given a `ttl` or several `repeats`"
    why = (
        'The Scheduler refuses such a job: `ttl` ends a repeating schedule ("job must have a '
        'schedule to have a ttl") and `repeats` counts its triggers ("job must have a schedule '
        'to repeat"). A job with only a `due_time` fires once, so scheduling it fails - at '
        "startup, or on the request that schedules it."
    )
    fix = (
        "For a one-off job drop `ttl`/`repeats` and keep `due_time`; to fire repeatedly until a "
        "deadline add a `schedule` (`@every 1m`, a six-field cron) with the `ttl` or `repeats`."
    )
    VALID = (
        "from dapr.aio.clients import Job\n\n"
        "once = Job(name='reminder-42', due_time='10m')\n"
        "polling = Job(name='poll', schedule='@every 1m', due_time='10s', ttl='1h')\n"
        "ten = Job(name='retry', schedule='@every 30s', repeats=10)\n",
        # The other fields may be in the mapping: nothing to tell.
        "from dapr.aio.clients import Job\n\n"
        "def build(fields: dict) -> Job:\n"
        "    return Job(name='x', ttl='1h', **fields)\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import Job\n\n"
                "job = Job(name='reminder-42', due_time='10m', ttl='1h')\n"
            ),
            line=3,
            col=51,
        ),
        Invalid(
            (
                "import os\n\n"
                "import httpx\n\n"
                "JOBS = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}/v1.0/jobs\"\n\n"
                "async def remind(http: httpx.AsyncClient) -> None:\n"
                "    await http.post(f'{JOBS}/remind', json={'dueTime': '10s', 'repeats': 3})\n"
            ),
            line=8,
            col=74,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)

    def visit_Call(self, node: ast.Call) -> None:
        spec = job_spec(self.ctx, node, self._locals.of(self.ctx.function))
        if spec is None or not spec.complete or spec.has("schedule"):
            return
        if spec.has("ttl"):
            self.report(
                spec.fields["ttl"], "`ttl` on a job without `schedule`: the Scheduler refuses it"
            )
        repeats = spec.fields.get("repeats")
        if isinstance(repeats, ast.Constant) and type(repeats.value) is int and repeats.value > 1:
            self.report(
                repeats,
                f"`repeats={repeats.value}` on a job without `schedule`: the Scheduler refuses it",
            )
