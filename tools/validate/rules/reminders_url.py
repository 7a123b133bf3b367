from __future__ import annotations

import ast
import re

from tools.validate.context import FileContext
from tools.validate.rules._http import Locals, http_request
from tools.validate.rules.base import Invalid, Rule

# Actor reminders (`/v1.0/actors/<type>/<id>/reminders/<name>`) do exist; this route does not.
_REMINDERS = re.compile(r"/v1\.0(?:-alpha1)?/reminders\b")


class RemindersUrl(Rule):
    id = "DAPR025"
    name = "no-reminders-api"
    message = "a request to a sidecar reminders route that Dapr does not have"
    why = (
        "Dapr has no top-level reminders API: the sidecar answers 404 and nothing is scheduled. "
        "Reminders belong to actors (`/v1.0/actors/<type>/<id>/reminders/<name>`); scheduled "
        "work for an app is the Jobs API, which calls back `POST /job/<name>` when due."
    )
    fix = (
        "Schedule a job: `await client.schedule_job(Job(name=..., due_time=... or "
        "schedule=...), overwrite=True)` and handle `POST /job/<name>` in the app."
    )
    VALID = (
        "import httpx\n\n"
        "async def remind(http: httpx.AsyncClient, base: str, actor_id: str) -> None:\n"
        "    await http.post(f'{base}/v1.0/actors/Cart/{actor_id}/reminders/expire', "
        "json={'dueTime': '1h'})\n",
    )
    INVALID = (
        Invalid(
            (
                "import httpx\n\n"
                "async def remind(http: httpx.AsyncClient, base: str, task_id: str) -> None:\n"
                "    await http.post(f'{base}/v1.0/reminders/{task_id}', json={'dueTime': '1h'})\n"
            ),
            line=4,
            col=11,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)

    def visit_Call(self, node: ast.Call) -> None:
        request = http_request(self.ctx, node, self._locals.of(self.ctx.function))
        if request is not None and _REMINDERS.search(request.url):
            self.report(node)
