from __future__ import annotations

import ast

from tools.validate.astutil import argument, const_str
from tools.validate.rules.base import Invalid, Rule


class JobWithoutHandler(Rule):
    id = "DAPR012"
    name = "job-without-handler"
    message = "a scheduled job has no `POST /job/<name>` handler"
    why = (
        "When a job fires, daprd calls `POST /job/<name>` on the app. With no such route the app "
        "answers 404, which Dapr counts as delivered: the job silently does nothing, on every "
        "trigger."
    )
    fix = (
        "Add `@app.post('/job/<name>')` with an `async def` handler (or a `/job/{name}` route) "
        "to the app."
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
    )

    def visit_Call(self, node: ast.Call) -> None:
        qualname = self.ctx.qualname(node.func) or ""
        if not (qualname.startswith("dapr.") and qualname.endswith(".Job")):
            return
        name = const_str(argument(node, 0, "name"), self.ctx.constants)
        if name is None:
            return
        # Whether a handler exists is known once every file's routes are (tools.validate.project).
        diagnostic = self.ctx.diagnostic(
            self, node, f"job '{name}' is scheduled but nothing handles `POST /job/{name}`"
        )
        if diagnostic is not None:
            self.ctx.scheduled_jobs.append((name, diagnostic))
