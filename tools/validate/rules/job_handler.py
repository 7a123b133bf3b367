from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.context import FileContext
from tools.validate.rules._http import Locals, http_request
from tools.validate.rules._jobs import JOB_CLASSES, JOBS_PATH, job_segment, scheduled_job_name
from tools.validate.rules.base import Invalid, Rule

# The SDK client's jobs methods: a route calling them manages jobs, it is no trigger callback.
_JOB_METHODS = frozenset(
    {
        "schedule_job",
        "schedule_job_alpha1",
        "get_job",
        "get_job_alpha1",
        "delete_job",
        "delete_job_alpha1",
    }
)


class JobWithoutHandler(Rule):
    id = "DAPR012"
    name = "job-without-handler"
    message = "a scheduled job has no `POST /job/<name>` handler"
    why = (
        "When a job fires, daprd calls `POST /job/<name>` on the app that scheduled it (or its "
        "gRPC job callback), never on another service of the project. With no such route there "
        "- or with the callback served on another path or method, such as `PUT /jobs/{name}` - "
        "the app answers 404, which Dapr counts as delivered: the job silently does nothing, on "
        "every trigger."
    )
    fix = (
        "Serve the trigger as `@app.post('/job/<name>')` with an `async def` handler (or one "
        "`/job/{name}` route for every job), at the app's root."
    )
    VALID = (
        "from dapr.aio.clients import Job\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
        "CLEANUP = 'cleanup'\n\nasync def register(client) -> None:\n"
        "    await client.schedule_job(Job(name=CLEANUP, schedule='@daily'), overwrite=True)\n\n"
        "@app.post(f'/job/{CLEANUP}')\nasync def cleanup() -> dict:\n    return {}\n",
        "from dapr.aio.clients import Job\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "async def register(client) -> None:\n"
        "    await client.schedule_job(Job('cleanup', schedule='@daily'))\n\n"
        "@app.post('/job/{name}')\n"
        "async def on_job(name: str) -> dict:\n"
        "    return {}\n",
        "from dapr.aio.clients import Job\nfrom fastapi import APIRouter\n\n"
        "jobs = APIRouter(prefix='/job')\n\nasync def register(client) -> None:\n"
        "    await client.schedule_job(Job(name='cleanup', schedule='@daily'))\n\n"
        "@jobs.post('/cleanup')\nasync def cleanup() -> dict:\n    return {}\n",
        "from dapr.aio.clients import Job\nfrom fastapi import APIRouter, FastAPI\n\n"
        "jobs = APIRouter()\n\nasync def register(client) -> None:\n"
        "    await client.schedule_job(Job(name='cleanup', schedule='@daily'))\n\n"
        "@jobs.post('/cleanup')\nasync def cleanup() -> dict:\n    return {}\n\n"
        "app = FastAPI()\napp.include_router(jobs, prefix='/job')\n",
        "import os\n\nimport httpx\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
        "JOBS = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}/v1.0/jobs\"\n\n"
        "async def remind(http: httpx.AsyncClient, task_id: str) -> None:\n"
        "    await http.post(f'{JOBS}/reminder-{task_id}', json={'dueTime': '10m'})\n\n"
        "@app.post('/job/reminder-{task_id}')\nasync def on_reminder(task_id: str) -> dict:\n"
        "    return {}\n",
        # The object's own `schedule_job` is judged by what it does, not by its name.
        "class Reminders:\n"
        "    def schedule_job(self, job_name: str) -> str:\n"
        "        return f'job-{job_name}'\n\n"
        "    def remind(self, task_id: str) -> str:\n"
        "        return self.schedule_job(job_name=f'reminder-{task_id}')\n",
        # An API about jobs is no trigger callback: the trigger has its own route.
        "from dapr.aio.clients import DaprClient, Job\nfrom fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n@app.put('/jobs/{name}')\n"
        "async def schedule(name: str, client: DaprClient) -> None:\n"
        "    await client.schedule_job(Job(name=name, schedule='@daily'))\n\n"
        "@app.post('/job/{name}')\nasync def on_job(name: str) -> dict:\n    return {}\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import Job\nfrom fastapi import FastAPI\n\n"
                "app = FastAPI()\n\nasync def register(client) -> None:\n"
                "    await client.schedule_job(Job(name='cleanup', schedule='@daily'), "
                "overwrite=True)\n"
            ),
            line=7,
            col=31,
        ),
        Invalid(
            (
                "from dapr.clients import Job as J\n"
                "from fastapi import FastAPI\n\n"
                "app = FastAPI()\n\n"
                "async def register(client) -> None:\n"
                "    await client.schedule_job(J('nightly', schedule='@daily'))\n\n"
                "@app.post('/job/cleanup')\n"
                "async def cleanup() -> dict:\n"
                "    return {}\n"
            ),
            line=7,
            col=31,
        ),
        Invalid(
            (
                "import os\n\nimport httpx\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
                "JOBS = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}/v1.0/jobs\"\n\n"
                "async def remind(http: httpx.AsyncClient, task_id: str) -> None:\n"
                "    await http.post(f'{JOBS}/reminder-{task_id}', json={'dueTime': '10m'})\n"
            ),
            line=10,
            col=11,
        ),
        Invalid(
            (
                "import os\n\nimport httpx\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
                "JOBS = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}/v1.0/jobs\"\n\n"
                "async def remind(http: httpx.AsyncClient, task_id: str) -> None:\n"
                "    url = f'{JOBS}/reminder-{task_id}'\n"
                "    response = await http.post(url, json={'dueTime': '10m'})\n"
                "    response.raise_for_status()\n\n"
                "@app.put('/api/jobs/trigger/{name}')\n"
                "async def on_trigger(name: str) -> dict:\n    return {}\n"
            ),
            line=14,
            col=2,
        ),
        # A jobs wrapper given the job's name as a keyword schedules that job; its trigger comes
        # to `/job/<name>`, not to the route written for it.
        Invalid(
            (
                "from fastapi import FastAPI\n\napp = FastAPI()\n\n"
                "async def remind(jobs, task_id: str) -> None:\n"
                "    await jobs.schedule_job(job_name=f'reminder-{task_id}', due_time='10m')\n\n"
                "@app.post('/api/jobs/reminder')\n"
                "async def on_reminder() -> dict:\n    return {}\n"
            ),
            line=8,
            col=2,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = scheduled_job_name(self.ctx, node, self._locals.of(self.ctx.function))
        if name is None:
            return
        # Whether a handler exists is known once every file's routes are (tools.validate.project).
        diagnostic = self.ctx.diagnostic(
            self, node, f"job '{name}' is scheduled but nothing handles `POST /job/{name}`"
        )
        if diagnostic is not None:
            self.ctx.scheduled_jobs.append((name, diagnostic))

    def finish(self, module: ast.Module) -> None:
        # Routes written for job triggers elsewhere than daprd calls: the project check reports
        # them when the app schedules jobs no handler receives (tools.validate.project).
        for function, route in self.ctx.handlers:
            if route.kind != "route" or route.path is None or job_segment(route.path) is None:
                continue
            if self._manages_jobs(function):
                continue
            shown = f"{'/'.join(sorted(route.methods))} {route.path}"
            diagnostic = self.ctx.diagnostic(
                self,
                route.decorator,
                f"`{shown}` looks like the job trigger callback, but daprd delivers every trigger "
                "to `POST /job/<name>` at the app's root: it gets a 404 and the trigger is lost",
                within=function,
            )
            if diagnostic is not None:
                self.ctx.job_callbacks.append((function, route, diagnostic))

    def _manages_jobs(self, function: FunctionNode) -> bool:
        """The route itself schedules, reads or deletes jobs: an API about jobs."""
        local = self._locals.of(function)
        for node in own_nodes(function):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _JOB_METHODS:
                return True
            if self.ctx.qualname(func) in JOB_CLASSES:
                return True
            request = http_request(self.ctx, node, local)
            if request is not None and JOBS_PATH.search(request.url):
                return True
        return False
