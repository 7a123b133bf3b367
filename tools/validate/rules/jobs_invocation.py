from __future__ import annotations

import ast
import re

from tools.validate.astutil import argument
from tools.validate.context import FileContext
from tools.validate.rules._http import Locals, http_request
from tools.validate.rules._strings import template
from tools.validate.rules.base import Invalid, Rule

_JOBS_METHOD = re.compile(r"^/*v1\.0(?:-alpha1)?/jobs\b")
_INVOKED_JOBS = re.compile(r"/v1\.0/invoke/[^/]+/method/+v1\.0(?:-alpha1)?/jobs\b")
_INVOKE_METHODS = frozenset({"invoke_method", "invoke_method_async"})


class JobsThroughInvocation(Rule):
    id = "DAPR027"
    name = "jobs-api-through-invocation"
    message = "the Jobs API is called through service invocation"
    why = (
        "Service invocation forwards the call to the target app's own route: `invoke_method(app, "
        "'v1.0/jobs/<name>')` or `/v1.0/invoke/<app>/method/v1.0/jobs/<name>` asks that app "
        "for a `/v1.0/jobs/...` endpoint it does not serve (404). The Jobs API is the sidecar's "
        "own and is called directly."
    )
    fix = (
        "Call `await client.schedule_job(Job(...), overwrite=True)` / `get_job(name)` / "
        "`delete_job(name)` on the app's DaprClient."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\n"
        "async def ask(client: DaprClient) -> bytes:\n"
        "    # The other app's own route that schedules work for it.\n"
        "    return (await client.invoke_method('job-service', 'scheduleJob', b'{}')).data\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def schedule(client: DaprClient, body: bytes) -> None:\n"
                "    await client.invoke_method('scheduler', 'v1.0/jobs/cleanup', body, "
                "http_verb='POST')\n"
            ),
            line=4,
            col=45,
        ),
        Invalid(
            (
                "import httpx\n\n"
                "async def schedule(http: httpx.AsyncClient, base: str) -> None:\n"
                "    url = f'{base}/v1.0/invoke/jobs-app/method/v1.0/jobs/cleanup'\n"
                "    response = await http.post(url, json={'schedule': '@daily'})\n"
                "    response.raise_for_status()\n"
            ),
            line=5,
            col=22,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)

    def visit_Call(self, node: ast.Call) -> None:
        local = self._locals.of(self.ctx.function)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _INVOKE_METHODS:
            method = argument(node, 1, "method_name")
            text = template(method, self.ctx.constants, local)
            if method is not None and text is not None and _JOBS_METHOD.search(text):
                self.report(method)
            return
        request = http_request(self.ctx, node, local)
        if request is not None and _INVOKED_JOBS.search(request.url):
            self.report(node)
