from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

from tools.changes import Diagnostic
from tools.validate.astutil import argument, const_str, keyword
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
                "from dapr.aio.clients import Job\n\nasync def register(client) -> None:\n"
                "    await client.schedule_job(Job(name='cleanup', schedule='@daily'), "
                "overwrite=True)\n"
            ),
            line=4,
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
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "include_router":
            prefix = const_str(keyword(node, "prefix"), self.ctx.constants)
            if prefix:
                self.ctx.facts.setdefault("include_prefixes", []).append(prefix)
            return
        qualname = self.ctx.qualname(func) or ""
        if not (qualname.startswith("dapr.") and qualname.endswith(".Job")):
            return
        name = const_str(argument(node, 0, "name"), self.ctx.constants)
        if name is None:
            return
        diagnostic = self.ctx.diagnostic(
            self, node, f"job '{name}' is scheduled but nothing handles `POST /job/{name}`"
        )
        if diagnostic is not None:
            self.ctx.facts.setdefault("scheduled_jobs", []).append(
                {"name": name, "diagnostic": diagnostic.model_dump()}
            )

    def finish(self) -> None:
        routes = [route.path for _, route in self.ctx.job_handlers() if route.path]
        if routes:
            self.ctx.facts["job_routes"] = routes
        # A router's routes may become `/job/...` only where the router is included with a prefix,
        # often in another file; the project-wide check combines them with every include prefix.
        relative = [route.path for _, route in self.ctx.router_post_routes() if route.path]
        if relative:
            self.ctx.facts["router_routes"] = relative


def handler_routes(facts: Iterable[Mapping[str, list]]) -> list[str]:
    """Every route path that may receive `POST /job/...`, across the files whose facts are given.

    Routes declared on an APIRouter count once under each `include_router(..., prefix=...)` prefix
    seen in the project: knowing which router a prefix applies to would need cross-file name
    resolution, and a missed finding is better than refusing a correct write.
    """
    collected = list(facts)
    routes = [route for f in collected for route in f.get("job_routes", ())]
    prefixes = {prefix for f in collected for prefix in f.get("include_prefixes", ())}
    relative = {route for f in collected for route in f.get("router_routes", ())}
    routes += [prefix + route for prefix in sorted(prefixes) for route in sorted(relative)]
    return [route for route in routes if route.startswith("/job/")]


def handles(routes: Iterable[str], job: str) -> bool:
    """True when one of the `/job/...` routes receives triggers of `job`."""
    return any(route == f"/job/{job}" or "{" in route.removeprefix("/job/") for route in routes)


def scheduled_job_diagnostics(facts: Mapping[str, list]) -> list[Diagnostic]:
    """The findings a file's scheduled jobs would produce if no handler existed anywhere."""
    return [Diagnostic.model_validate(job["diagnostic"]) for job in facts.get("scheduled_jobs", ())]


def unhandled_jobs(
    facts_by_path: Mapping[str, Mapping[str, list]], routes: Iterable[str]
) -> list[tuple[str, Diagnostic]]:
    """(path, finding) for every scheduled job none of `routes` handles."""
    known = list(routes)
    return [
        (path, Diagnostic.model_validate(job["diagnostic"]))
        for path, facts in facts_by_path.items()
        for job in facts.get("scheduled_jobs", ())
        if not handles(known, job["name"])
    ]


def route_facts_in(path: str, source: str) -> Mapping[str, list]:
    """The job-route facts of a project file outside the change set (see `handler_routes`)."""
    from tools.validate.engine import analyze

    return analyze(path, source, rules=(JobWithoutHandler,)).facts
