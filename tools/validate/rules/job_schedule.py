from __future__ import annotations

import ast
import re

from tools.validate.context import FileContext
from tools.validate.rules._http import Locals
from tools.validate.rules._jobs import job_spec
from tools.validate.rules._strings import HOLE, template
from tools.validate.rules.base import Invalid, Rule

# What daprd takes as a due time but its cron parser refuses as a schedule.
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_GO_DURATION = re.compile(r"^[-+]?(?:0|(?:\d+(?:\.\d+)?(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$")
# The descriptors the cron parser knows (dapr/kit cron, forked from robfig/cron).
_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_EVERY = "@every "
_ISO_DURATION = re.compile(r"^(?:R\d*/)?P(?=\d|T\d)(?:\d+[YMWD])*(?:T(?:\d+(?:\.\d+)?[HMS])+)?$")


class JobScheduleNotCron(Rule):
    id = "DAPR024"
    name = "job-schedule-not-cron"
    message = "a job's `schedule` is not a cron expression or descriptor daprd can parse"
    why = (
        "`schedule` is parsed as a repeating cron expression: six fields with seconds first "
        "(`0 30 2 * * *`), `@every 30s`, or `@hourly`/`@daily`/`@weekly`/`@monthly`/`@yearly`. "
        "A timestamp such as `2025-01-01T00:00:00Z` or a duration such as `30s` is a `due_time` "
        "(when the job first fires), and descriptors other than these (`@at ...`, `@every 5 "
        "minutes`) do not exist; daprd refuses the job and it is never created."
    )
    fix = (
        "For a one-off job pass the time as `due_time` (RFC3339 with offset, or a duration from "
        "now such as `'30s'`); to repeat at an interval use `schedule='@every 30s'`."
    )
    VALID = (
        "from dapr.aio.clients import Job\n\n"
        "nightly = Job(name='nightly', schedule='0 0 3 * * *')\n"
        "soon = Job(name='reminder-42', due_time='2025-01-01T00:00:00Z')\n"
        "poll = Job(name='poll', schedule='@every 30s', repeats=10)\n",
        "from dapr.aio.clients import Job\n\n"
        "def every(seconds: int) -> Job:\n"
        "    return Job(name='poll', schedule=f'@every {seconds}s')\n",
        # A name given its text here is judged by the text; a cron kept in a parameter is unknown.
        "from dapr.aio.clients import Job\n\n"
        "def nightly(cron: str) -> Job:\n"
        "    run_at = '0 0 3 * * *'\n"
        "    return Job(name='nightly', schedule=run_at if not cron else cron)\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import Job\n\n"
                "job = Job(name='reminder-42', schedule='2025-01-01T00:00:00Z')\n"
            ),
            line=3,
            col=40,
        ),
        Invalid(
            (
                "from datetime import datetime\n\n"
                "from dapr.aio.clients import Job\n\n"
                "def remind_at(when: datetime) -> Job:\n"
                "    return Job('reminder', when.isoformat())\n"
            ),
            line=6,
            col=28,
        ),
        Invalid(
            (
                "import os\n\n"
                "import httpx\n\n"
                "JOBS = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}/v1.0/jobs\"\n\n"
                "async def schedule(http: httpx.AsyncClient) -> None:\n"
                "    body = {'schedule': '30s', 'data': {'task': 'cleanup'}}\n"
                "    await http.post(f'{JOBS}/cleanup', json=body)\n"
            ),
            line=8,
            col=25,
        ),
        # A timestamp kept in a name, sent through service invocation to the jobs API.
        Invalid(
            (
                "from datetime import datetime\n\n"
                "from dapr.aio.clients import DaprClient\n\n"
                "async def remind(client: DaprClient, task_id: str, when: datetime) -> None:\n"
                "    at = when.isoformat()\n"
                "    await client.invoke_method(\n"
                "        app_id='dapr',\n"
                "        method_name=f'v1.0/jobs/reminder-{task_id}',  # noqa: DAPR027\n"
                "        data={'schedule': at, 'data': {'task_id': task_id}},  # noqa: DAPR023\n"
                "        http_verb='POST',\n"
                "    )\n"
            ),
            line=10,
            col=27,
        ),
        # A moment by its name or its type, sent to the jobs API as the schedule.
        Invalid(
            (
                "import os\n\n"
                "import httpx\n\n"
                "JOBS = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}/v1.0/jobs\"\n\n"
                "async def remind(http: httpx.AsyncClient, task: str, remind_time: str) -> None:\n"
                "    body = {'schedule': remind_time, 'data': {'task_id': task}}\n"
                "    await http.post(f'{JOBS}/reminder-{task}', json=body)\n"
            ),
            line=8,
            col=25,
        ),
        Invalid(
            (
                "from datetime import datetime\n\n"
                "from dapr.aio.clients import Job\n\n"
                "def remind(task_id: str, moment: datetime) -> Job:\n"
                "    return Job(name=f'reminder-{task_id}', schedule=moment)\n"
            ),
            line=6,
            col=53,
        ),
        Invalid(
            (
                "from dapr.aio.clients import Job\n\n"
                "def remind(task_id: str, at: str) -> Job:\n"
                "    return Job(name=f'reminder-{task_id}', schedule=f'@at {at}')\n"
            ),
            line=4,
            col=53,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)

    def visit_Call(self, node: ast.Call) -> None:
        local = self._locals.of(self.ctx.function)
        spec = job_spec(self.ctx, node, local)
        if spec is None or "schedule" not in spec.fields:
            return
        schedule = spec.fields["schedule"]
        problem = self._problem(schedule, local)
        if problem is not None:
            self.report(schedule, f"`schedule` is given {problem}")

    def _problem(self, schedule: ast.expr, local: dict[str, ast.expr]) -> str | None:
        # `when.isoformat()`, or a name holding it (`at = when.isoformat()` a line above).
        value = local.get(schedule.id, schedule) if isinstance(schedule, ast.Name) else schedule
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "isoformat"
        ):
            return "a timestamp: a point in time is the `due_time`"
        if isinstance(schedule, ast.Name) and self._point_in_time(schedule.id, value):
            return f"`{schedule.id}`, a point in time: a point in time is the `due_time`"
        text = template(schedule, self.ctx.constants, local)
        if text is None:
            return None
        text = text.strip()
        if text.startswith("@"):
            return _descriptor_problem(text)
        if HOLE in text:
            return None
        if _TIMESTAMP.match(text):
            return f"the timestamp {text!r}: a point in time is the `due_time`"
        if _GO_DURATION.match(text):
            return f"the duration {text!r}: repeat with `@every {text}`, or once with `due_time`"
        if _ISO_DURATION.match(text):
            return f"the duration {text!r}: run once after it with `due_time`"
        return None

    def _point_in_time(self, name: str, value: ast.expr) -> bool:
        """The name holds a moment: a parameter annotated `datetime`, or a name that says so
        (`reminder_time`, `remind_at`, `due_date`) and is not assigned a string here."""
        function = self.ctx.function
        if function is not None:
            arguments = function.args
            for parameter in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                if parameter.arg == name and parameter.annotation is not None:
                    annotation = ast.unparse(parameter.annotation)
                    if "datetime" in annotation:
                        return True
        if isinstance(value, ast.Constant | ast.JoinedStr):
            return False  # its text is judged as it is
        return _MOMENT_NAME.search(name) is not None


# Names of a moment: `*_time`, `*_at`, `*_date`, `*timestamp`, `*datetime`, `when`.
_MOMENT_NAME = re.compile(r"(?:^|_)(?:time|at|date|timestamp|datetime|when)$", re.IGNORECASE)


def _descriptor_problem(text: str) -> str | None:
    """What is wrong with an `@...` schedule, as far as its text is known."""
    if text.startswith(_EVERY):
        interval = text.removeprefix(_EVERY).strip()
        if HOLE in interval or _GO_DURATION.match(interval):
            return None
        return f"{text!r}: `@every` takes a Go duration such as `30s` or `1h30m`"
    if text in _DESCRIPTORS:
        return None
    known = text.split(HOLE, 1)[0]  # up to the first run-time value
    word = known.split(maxsplit=1)[0] if known.split() else ""
    if word in ("", "@") or (HOLE in text and word == known):
        return None  # the descriptor's own name is only known at run time
    shown = text.replace(HOLE, "{...}")
    return f"the unknown descriptor {shown!r}: use cron fields, `@every <duration>` or `@daily`"
