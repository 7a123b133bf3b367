from __future__ import annotations

import ast
import re

from tools.validate.context import FileContext
from tools.validate.rules._strings import is_harness_path, literal_pieces, template
from tools.validate.rules.base import Invalid, Rule

DEPRECATED = {
    "schedule_job_alpha1": "schedule_job",
    "get_job_alpha1": "get_job",
    "delete_job_alpha1": "delete_job",
}
# The alpha1 jobs path, also when a URL is put together from parts (f-string, `+`, constants).
_ALPHA1_JOBS = re.compile(r"v1\.0-alpha1/jobs\b")


class DeprecatedJobAlpha1(Rule):
    id = "DAPR010"
    name = "deprecated-job-alpha1"
    message = "the alpha1 Jobs API is deprecated"
    why = (
        "Since SDK 1.18 the `*_alpha1` job methods emit DeprecationWarning; the stable "
        "`schedule_job`, `get_job` and `delete_job` call the stable API and fall back to alpha1 on "
        "older runtimes by themselves. Raw `/v1.0-alpha1/jobs` URLs break once the alpha route is "
        "removed."  # noqa: DAPR010
    )
    fix = "Call `schedule_job(job, overwrite=True)`, `get_job(name)` and `delete_job(name)`."
    VALID = (
        "from dapr.aio.clients import Job\n\nasync def register(client) -> None:\n"
        "    await client.schedule_job(Job(name='cleanup', schedule='@daily'), overwrite=True)\n",
        # The stable route, put together the same way.
        "API = 'v1.0'\n\ndef job_url(base: str, name: str) -> str:\n"
        "    return f'{base}/{API}/jobs/{name}'\n",
    )
    INVALID = (
        Invalid(
            "async def register(client, job) -> None:\n    await client.schedule_job_alpha1(job)\n",
            line=2,
            col=11,
        ),
        Invalid("JOBS_URL = 'http://127.0.0.1:{port}/v1.0-alpha1/jobs/cleanup'\n", line=1, col=12),  # noqa: DAPR010
        Invalid(
            (
                "async def register(client, job) -> None:\n"
                "    await client.schedule_job_alpha1(job, overwrite=True)  # at startup\n"
                "    print(await client.get_job_alpha1(job.name))\n"
            ),
            line=2,
            col=11,
            fixed=(
                "async def register(client, job) -> None:\n"
                "    await client.schedule_job(job, overwrite=True)  # at startup\n"
                "    print(await client.get_job(job.name))\n"
            ),
        ),
        Invalid(
            (
                "import os\n\n"
                "API = 'v1.0-alpha1'\n"
                "BASE = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}\"\n\n"
                "def job_url(name: str) -> str:\n"
                "    return f'{BASE}/{API}/jobs/{name}'\n"
            ),
            line=7,
            col=12,
        ),
        Invalid(
            (
                "def job_url(base: str, name: str) -> str:\n"
                "    return base + '/v1.0-alpha1' + '/jobs/' + name\n"
            ),
            line=2,
            col=12,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        # Parts of a composed URL already reported as a whole (the walk meets the whole first).
        self._covered: set[int] = set()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in DEPRECATED:
            self.report(node, f"`{node.attr}` is deprecated: call `{DEPRECATED[node.attr]}`")

    def fixable(self, node: ast.AST) -> bool:
        # A method call is renamed; a raw alpha1 URL depends on the runtime version and is not.
        return isinstance(node, ast.Attribute)

    def visit_Constant(self, node: ast.Constant) -> None:
        if (
            isinstance(node.value, str)
            and not self.ctx.is_prose(node)
            and "/v1.0-alpha1/jobs" in node.value  # noqa: DAPR010
        ):
            self.report(node, "the alpha1 jobs URL is deprecated: use the SDK's stable job methods")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._composed(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._composed(node)

    def _composed(self, node: ast.JoinedStr | ast.BinOp) -> None:
        """A jobs URL whose alpha1 path only appears once its parts are joined."""
        # Tests compose such text on purpose: sources for the gate, requests observing the sidecar.
        if id(node) in self._covered or is_harness_path(self.ctx.path):
            return
        text = template(node, self.ctx.constants)
        if text is None or not _ALPHA1_JOBS.search(text):
            return
        self._covered.update(id(child) for child in ast.walk(node))
        # A part that holds the whole path is reported by itself (a literal, or its constant).
        if not any(_ALPHA1_JOBS.search(p) for p in literal_pieces(node, self.ctx.constants)):
            self.report(node, "an alpha1 jobs URL is built here: use the SDK's stable job methods")
