"""Job definitions as the jobs rules (DAPR012, DAPR024, DAPR026) see them: the SDK's `Job(...)`
and the JSON body of a raw request to the sidecar's jobs API, with their fields by SDK name.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from tools.validate.astutil import argument, keyword
from tools.validate.context import FileContext
from tools.validate.rules._http import http_request
from tools.validate.rules._strings import HOLE, template

JOB_CLASSES = frozenset({"dapr.clients.Job", "dapr.aio.clients.Job", "dapr.clients.grpc._jobs.Job"})
# Job(name, schedule, repeats, due_time, ttl, data, failure_policy)
_JOB_FIELDS = ("name", "schedule", "repeats", "due_time", "ttl")
# The HTTP body accepts both spellings (protojson).
_BODY_FIELDS = {
    "schedule": "schedule",
    "repeats": "repeats",
    "dueTime": "due_time",
    "due_time": "due_time",
    "ttl": "ttl",
}
JOBS_PATH = re.compile(r"/v1\.0(?:-alpha1)?/jobs/")
# A job name's run-time parts, written as a route parameter: it matches one path segment.
UNKNOWN = "{...}"
_BODY_VERBS = frozenset({"POST", "PUT"})


@dataclass(frozen=True)
class JobSpec:
    node: ast.AST
    fields: dict[str, ast.expr]
    # False when unpacked arguments or keys may hold fields the file does not show.
    complete: bool

    def has(self, field: str) -> bool:
        value = self.fields.get(field)
        return value is not None and not (isinstance(value, ast.Constant) and value.value is None)


def job_spec(ctx: FileContext, call: ast.Call, local: dict[str, ast.expr]) -> JobSpec | None:
    """The job `call` defines: an SDK Job, a client method given the job's fields as keywords,
    or the body of a POST/PUT to the jobs API (also sent through `invoke_method`)."""
    if ctx.qualname(call.func) in JOB_CLASSES:
        fields = {
            name: value
            for position, name in enumerate(_JOB_FIELDS)
            if (value := argument(call, position, name)) is not None
        }
        complete = not any(isinstance(a, ast.Starred) for a in call.args) and all(
            k.arg is not None for k in call.keywords
        )
        return JobSpec(call, fields, complete)
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr.startswith("schedule_job") and not call.args:
        # A client method given the job's fields as keywords (no `Job`): still a job definition.
        fields = {k.arg: k.value for k in call.keywords if k.arg in _JOB_FIELDS}
        if "schedule" in fields:
            return JobSpec(call, fields, complete=all(k.arg is not None for k in call.keywords))
    if isinstance(func, ast.Attribute) and func.attr == "invoke_method":
        # The jobs API reached through service invocation (DAPR027's): its body is a job too.
        method = template(argument(call, 1, "method_name"), ctx.constants, local)
        if method is not None and JOBS_PATH.search("/" + method.lstrip("/")):
            body = _resolve(argument(call, 2, "data"), local)
            if isinstance(body, ast.Dict):
                return JobSpec(body, dict(_body_fields(body)), complete=None not in body.keys)
        return None
    request = http_request(ctx, call, local)
    if request is None or request.verb not in _BODY_VERBS or not JOBS_PATH.search(request.url):
        return None
    body = _resolve(request.json_body, local)
    if not isinstance(body, ast.Dict):
        return None
    fields = dict(_body_fields(body))
    return JobSpec(body, fields, complete=None not in body.keys)


def _body_fields(body: ast.Dict) -> Iterator[tuple[str, ast.expr]]:
    for key, value in zip(body.keys, body.values, strict=True):
        if isinstance(key, ast.Constant) and key.value in _BODY_FIELDS:
            yield _BODY_FIELDS[key.value], value


def _resolve(node: ast.expr | None, local: dict[str, ast.expr]) -> ast.expr | None:
    """A name's single assigned value (one step: bodies are built next to the request)."""
    if isinstance(node, ast.Name):
        return local.get(node.id)
    return node


def scheduled_job_name(ctx: FileContext, call: ast.Call, local: dict[str, ast.expr]) -> str | None:
    """The name of the job `call` schedules - an SDK Job, or a POST/PUT to the jobs API - with
    `UNKNOWN` for its run-time parts; None when `call` schedules no job."""
    func = call.func
    if ctx.qualname(func) in JOB_CLASSES:
        text = template(argument(call, 0, "name"), ctx.constants, local)
    elif (
        isinstance(func, ast.Attribute)
        and func.attr.startswith("schedule_job")
        and not call.args
        and not (isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"))
    ):
        # A client method given the job's fields as keywords: whatever the SDK makes of the
        # call, the job it is meant to schedule has this name, and its trigger needs a route.
        # (`self.schedule_job(...)` is the object's own method: what it does is seen there.)
        name = keyword(call, "name") or keyword(call, "job_name")
        if name is None:
            return None
        text = template(name, ctx.constants, local)
    else:
        request = http_request(ctx, call, local)
        if request is None or request.verb not in _BODY_VERBS:
            return None
        found = JOBS_PATH.search(request.url)
        if found is None or "/invoke/" in request.url[: found.start()]:
            return None  # through service invocation it reaches another app's route (DAPR027)
        text = request.url[found.end() :].split("?", 1)[0]
    if not text:
        return None
    return re.sub(f"{HOLE}+", UNKNOWN, text)


def job_segment(path: str) -> str | None:
    """`job` or `jobs` when a literal segment of that name has something under it
    (`/api/jobs/trigger/{name}`): the path of a route written for job triggers, or about jobs."""
    segments = [segment for segment in path.split("/") if segment]
    return next((s.lower() for s in segments[:-1] if s.lower() in ("job", "jobs")), None)


def looks_like_job_callback(path: str, methods: Collection[str]) -> bool:
    """A route shaped like a job trigger callback: anything under Dapr's own `/job/` but a
    DELETE, and what receives a body under `/jobs/` (its GETs and DELETEs manage jobs)."""
    segment = job_segment(path)
    if segment == "job":
        return bool(set(methods) - {"DELETE"})
    return segment == "jobs" and bool(set(methods) & {"POST", "PUT", "PATCH"})
