from __future__ import annotations

import ast
import re

from tools.validate.astutil import argument
from tools.validate.context import FileContext
from tools.validate.rules.base import Invalid, Rule

_SIDECAR_URL = re.compile(
    r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|daprd?):(?:3500|3501|50001|50002)\b"
)
_SIDECAR_PORTS = frozenset({3500, 3501, 50001, 50002})
_CLIENTS = ("dapr.aio.clients.DaprClient", "dapr.clients.DaprClient")
# The SDK's own default gRPC address (DAPR_RUNTIME_HOST:DAPR_GRPC_PORT unset): dropping it changes
# nothing where the environment is unset and lets `dapr run` and the test harness choose the port
# elsewhere.
DEFAULT_GRPC_ADDRESSES = frozenset({"127.0.0.1:50001", "localhost:50001"})  # noqa: DAPR013
# The variable `dapr run` sets for each port:
# `X = 3500` becomes `X = int(os.environ.get(..., "3500"))`.
PORT_VARIABLES = {
    3500: "DAPR_HTTP_PORT",
    3501: "DAPR_HTTP_PORT",
    50001: "DAPR_GRPC_PORT",
    50002: "DAPR_GRPC_PORT",
}


class HardcodedSidecarAddress(Rule):
    id = "DAPR013"
    name = "hardcoded-sidecar-address"
    message = "the sidecar address is hard-coded"
    why = (
        "`dapr run`, Kubernetes and the test harness choose the sidecar's ports and pass them as "  # noqa: DAPR013
        "DAPR_HTTP_PORT / DAPR_GRPC_PORT (or *_ENDPOINT). A literal `localhost:3500` works on one "
        "laptop and talks to the wrong process - or nothing - everywhere else."
    )
    fix = (
        "Let `DaprClient()` read DAPR_GRPC_ENDPOINT / DAPR_HTTP_PORT from the environment; for raw "
        "HTTP build the URL from `os.environ['DAPR_HTTP_PORT']`."
    )
    VALID = (
        "import os\n\n"
        "BASE = f\"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}/v1.0\"\n",
        "APP_PORT = 8000\n",
    )
    INVALID = (
        Invalid("SIDECAR = 'http://localhost:3500/v1.0/state/statestore'\n", line=1, col=11),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "def make():\n"
                "    return DaprClient('127.0.0.1:50001')\n"
            ),
            line=4,
            col=23,
        ),
        Invalid("DAPR_HTTP_PORT = 3500\n", line=1, col=1),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "def make() -> DaprClient:\n"
                "    return DaprClient('127.0.0.1:50001')  # one per process\n"
            ),
            line=4,
            col=23,
            fixed=(
                "from dapr.aio.clients import DaprClient\n\n"
                "def make() -> DaprClient:\n"
                "    return DaprClient()  # one per process\n"
            ),
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient as Client\n\n"
                "def make() -> Client:\n"
                "    return Client(address='localhost:50001', http_timeout_seconds=5)\n"
            ),
            line=4,
            col=27,
            fixed=(
                "from dapr.aio.clients import DaprClient as Client\n\n"
                "def make() -> Client:\n"
                "    return Client(http_timeout_seconds=5)\n"
            ),
        ),
        Invalid(
            '"""Settings."""\n\nimport logging\n\nDAPR_HTTP_PORT = 3500  # the sidecar\n',
            line=5,
            col=1,
            fixed=(
                '"""Settings."""\n\nimport logging\nimport os\n\n'
                'DAPR_HTTP_PORT = int(os.environ.get("DAPR_HTTP_PORT", "3500"))  # the sidecar\n'
            ),
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._default_addresses: set[int] = set()

    def visit_Constant(self, node: ast.Constant) -> None:
        if (
            isinstance(node.value, str)
            and not self.ctx.is_prose(node)
            and _SIDECAR_URL.search(node.value)
        ):
            self.report(
                node, f"hard-coded sidecar address {_SIDECAR_URL.search(node.value).group(0)!r}"
            )

    def visit_Call(self, node: ast.Call) -> None:
        address = argument(node, 0, "address")
        if self._drops_cleanly(node, address):
            self._default_addresses.add(id(address))
        if (
            isinstance(address, ast.Constant)
            and isinstance(address.value, str)
            and not _SIDECAR_URL.search(address.value)
            and self.ctx.qualname(node.func) in _CLIENTS
        ):
            self.report(address, "DaprClient is given a literal address")

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if not (isinstance(value, ast.Constant) and value.value in _SIDECAR_PORTS):
            return
        for target in node.targets:
            if (
                isinstance(target, ast.Name)
                and "DAPR" in target.id.upper()
                and "PORT" in target.id.upper()
            ):
                self.report(node, f"`{target.id}` pins the sidecar port to {value.value}")

    def fixable(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Assign):  # a port constant: read it from the environment instead
            return (
                len(node.targets) == 1
                and type(getattr(node.value, "value", None)) is int
                and self.ctx.qualname(ast.Name("os")) in (None, "os")
            )
        return id(node) in self._default_addresses

    def _drops_cleanly(self, call: ast.Call, address: ast.expr | None) -> bool:
        """The address is the SDK default and the only positional argument of a DaprClient call."""
        return (
            isinstance(address, ast.Constant)
            and address.value in DEFAULT_GRPC_ADDRESSES
            and call.args in ([], [address])
            and all(kw.arg is not None for kw in call.keywords)
            and self.ctx.qualname(call.func) in _CLIENTS
        )
