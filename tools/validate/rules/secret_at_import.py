"""DAPR039: a secret read from the sidecar while the module is imported.

The finding is a call that reads a secret through Dapr - a DaprClient's `get_secret` or
`get_bulk_secret`, or an HTTP request to the sidecar's `/v1.0/secrets/` API - in code that runs
at import: the module's own statements (also inside `if`, `try` and `with` blocks) and class
bodies, not function bodies, which run when called. A one-shot program serving no app (a
`__main__` block, `asyncio.run`, work at the top of a module that defines nothing, or printing as
it runs) is quiet: importing it is running it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tools.validate.astutil import children
from tools.validate.context import FileContext
from tools.validate.instances import Instances, instances_of
from tools.validate.rules._http import Locals, http_request
from tools.validate.rules._reach import is_program
from tools.validate.rules._strings import is_harness_path
from tools.validate.rules.base import Invalid, Rule

_SECRET_METHODS = frozenset({"get_secret", "get_bulk_secret"})
_DAPR_CLIENTS = frozenset({"dapr-sync", "dapr-async"})
_SECRETS_PATH = re.compile(r"/v1\.0/secrets/")
# Scopes whose code runs later, when called; a class body runs at import like the module's.
_DEFERRED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


class SecretReadAtImport(Rule):
    id = "DAPR039"
    name = "secret-read-at-import"
    message = "a secret is read from the sidecar at import time: the app cannot start without it"
    why = (
        "At import the sidecar may not answer yet: daprd and the app start side by side, and "
        "daprd loads its components (the secret store among them) before it serves the secrets "
        "API. A read there fails the import, so the app crash-loops instead of answering "
        "/healthz with 503 until the sidecar is ready; importing the module in a test needs a "
        "running sidecar; and the value is fixed for the life of the process, so a rotated "
        "secret is never seen."
    )
    fix = (
        "Read the secret when it is needed, or once in the app's startup (a FastAPI lifespan) "
        "with the sidecar call's own retry: `secret = await client.get_secret(store, name)` "
        "inside an `async def`; better still, let the component read it through `secretKeyRef` "
        "so the code never holds it."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\n"
        "async def smtp_password(client: DaprClient) -> str:\n"
        "    found = await client.get_secret('secretstore', 'smtp-password')\n"
        "    return found.secret['smtp-password']\n",
        # A class whose method reads it: the body of a method runs when it is called.
        "from dapr.clients import DaprClient\n\n"
        "class Mailer:\n"
        "    def password(self) -> str:\n"
        "        with DaprClient() as client:\n"
        "            return client.get_secret('secretstore', 'smtp').secret['smtp']\n",
        # A module that defines nothing and logs what it read: a program, run once.
        "import logging\n\nfrom dapr.clients import DaprClient\n\n"
        "with DaprClient() as client:\n"
        "    secret = client.get_secret('secretstore', 'smtp')\n"
        "    logging.info(sorted(secret.secret))\n",
        # A one-shot program (no app, it prints what it read): its import is its run.
        "from dapr.clients import DaprClient\n\n"
        "with DaprClient() as client:\n"
        "    print(client.get_secret('secretstore', 'smtp').secret)\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "with DaprClient() as client:\n"
                "    SMTP_PASSWORD = client.get_secret('secretstore', 'smtp').secret['smtp']\n"
            ),
            line=4,
            col=21,
        ),
        # Settings built at import from the secrets API.
        Invalid(
            (
                "import os\n\nimport httpx\n\n"
                "SIDECAR = f\"http://localhost:{os.environ['DAPR_HTTP_PORT']}\"\n\n"
                "class Settings:\n"
                "    api_key = httpx.get(f'{SIDECAR}/v1.0/secrets/secretstore/api-key').json()\n"
            ),
            line=8,
            col=15,
        ),
        Invalid(
            (
                "import asyncio\n\n"
                "from dapr.aio.clients import DaprClient\n\n"
                "client = DaprClient()\n"
                "TOKEN = asyncio.run(client.get_secret('secretstore', 'token')).secret['token']\n"
            ),
            line=6,
            col=21,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        # Tests and benchmarks read what they set up, with a sidecar they started first.
        self._enabled = not is_harness_path(ctx.path)

    def finish(self, module: ast.Module) -> None:
        calls = list(_import_time_calls(module)) if self._enabled else []
        if not calls or self._program(module, calls):
            return
        instances = instances_of(self.ctx, module)
        locals_ = Locals()
        locals_.add_module(module)
        for call in calls:
            if self._reads_secret(call, instances) or self._secrets_request(call, locals_):
                self.report(call)

    def _program(self, module: ast.Module, calls: list[ast.Call]) -> bool:
        """A one-shot program serving no app (a quickstart, an example): importing it is running
        it, so there is no later moment to read the secret in. Told by its `__main__` block or
        `asyncio.run`, by top-level work in a module that defines nothing, or by printing what it
        does while it runs."""
        return is_program(self.ctx, module) or (
            not (self.ctx.app_objects or self.ctx.handlers)
            and any(isinstance(c.func, ast.Name) and c.func.id == "print" for c in calls)
        )

    def _reads_secret(self, call: ast.Call, instances: Instances) -> bool:
        """A DaprClient's get_secret / get_bulk_secret (also on `DaprClient()` itself)."""
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in _SECRET_METHODS:
            return False
        return instances.kind_of(func.value, instances.at(None)) in _DAPR_CLIENTS

    def _secrets_request(self, call: ast.Call, locals_: Locals) -> bool:
        request = http_request(self.ctx, call, locals_.of(None))
        return request is not None and _SECRETS_PATH.search(request.url) is not None


def _import_time_calls(module: ast.Module) -> Iterator[ast.Call]:
    """The calls the module makes while it is imported."""
    pending: list[ast.AST] = list(module.body)
    while pending:
        node = pending.pop()
        if isinstance(node, _DEFERRED):
            # Decorators and default values are evaluated at import; the body is not.
            pending += node.decorator_list if not isinstance(node, ast.Lambda) else []
            pending += [d for d in (*node.args.defaults, *node.args.kw_defaults) if d]
            continue
        if isinstance(node, ast.Call):
            yield node
        pending += children(node)
