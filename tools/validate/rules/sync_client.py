from __future__ import annotations

import ast

from tools.validate.context import FileContext
from tools.validate.rules.base import Rule

SYNC_CLIENTS = frozenset(
    {
        "dapr.clients.DaprClient",
        "dapr.clients.DaprGrpcClient",
        "dapr.clients.grpc.client.DaprGrpcClient",
    }
)


class SyncDaprClient(Rule):
    id = "DAPR001"
    name = "sync-dapr-client"
    message = "the synchronous dapr.clients.DaprClient blocks the event loop"
    why = (
        "Every call of the synchronous client is a blocking gRPC round-trip to the sidecar. Inside an async "
        "service it stalls the event loop, so all other requests, deliveries and job triggers wait."
    )
    fix = (
        "Import `DaprClient` from `dapr.aio.clients`, create it once in the FastAPI lifespan and `await` its "
        "methods."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\nasync def save(client: DaprClient) -> None:\n"
        "    await client.save_state('statestore', 'k', 'v')\n",
        "import dapr.aio.clients as dapr_aio\n\nasync def make() -> dapr_aio.DaprClient:\n"
        "    return dapr_aio.DaprClient()\n",
    )
    INVALID = (
        "from dapr.clients import DaprClient\n\nasync def save() -> None:\n"
        "    with DaprClient() as client:\n        client.save_state('statestore', 'k', 'v')\n",
        "import dapr.clients\n\nasync def make():\n    return dapr.clients.DaprClient()\n",
        "from dapr.clients import DaprClient as C\n\nasync def f():\n    return C\n",
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._uses: list[ast.AST] = []

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._uses.extend(a for a in node.names if f"{node.module}.{a.name}" in SYNC_CLIENTS)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self.ctx.qualname(node) in SYNC_CLIENTS:
            self._uses.append(node)

    def finish(self) -> None:
        # A synchronous script may use the synchronous client; an async service must not.
        if self.ctx.has_async:
            for use in self._uses:
                self.report(use)
