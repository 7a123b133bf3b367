from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tools.validate.astutil import FunctionNode
from tools.validate.rules._strings import template
from tools.validate.rules.base import Invalid, Rule

# The sidecar's ports as `dapr run` and the SDK default them (HTTP, gRPC; second instance).
SIDECAR_PORTS = frozenset({3500, 3501, 50001, 50002})
_SIDECAR_WORDS = ("dapr", "sidecar")
# A local sidecar's address with its port: `http://localhost:3500`, `127.0.0.1:50001`.
_LOCAL_ADDRESS = re.compile(r"^(?:https?://)?(?:localhost|127\.0\.0\.1|0\.0\.0\.0):(\d+)/?$")


class SidecarPortDefault(Rule):
    id = "DAPR022"
    name = "sidecar-port-default"
    message = "a parameter defaults to a fixed sidecar port or address"
    why = (
        "`dapr run`, Kubernetes and the test harness choose the sidecar's ports and pass them as "
        "DAPR_HTTP_PORT / DAPR_GRPC_PORT. A default of 3500 or 50001 is taken whenever a caller "
        "leaves the argument out, so the code talks to the wrong port - or nothing - wherever "
        "the sidecar runs elsewhere, and nothing says so."
    )
    fix = (
        "Drop the parameter and let `DaprClient()` read the environment, or default it to `None` "
        "and resolve it at call time from `dapr.conf.settings.DAPR_HTTP_PORT` (or "
        "`os.environ['DAPR_HTTP_PORT']`)."
    )
    VALID = (
        "import os\n\n"
        "def publish_url(pubsub: str, topic: str, port: int | None = None) -> str:\n"
        "    port = port or int(os.environ['DAPR_HTTP_PORT'])\n"
        "    return f'http://127.0.0.1:{port}/v1.0/publish/{pubsub}/{topic}'\n",
        # The app's own port, in a file that does not talk to the sidecar.
        "import uvicorn\n\n"
        "def serve(port: int = 3500) -> None:\n"
        "    uvicorn.run('app.main:app', port=port)\n",
    )
    INVALID = (
        Invalid(
            (
                "def publish_url(pubsub: str, topic: str, dapr_http_port: int = 3500) -> str:\n"
                "    return f'http://127.0.0.1:{dapr_http_port}/v1.0/publish/{pubsub}/{topic}'\n"
            ),
            line=1,
            col=64,
        ),
        # The whole address as the default.
        Invalid(
            (
                "import httpx\n\n"
                "async def read(web: httpx.AsyncClient, key: str, "
                "base: str = 'http://localhost:3500') -> bytes:\n"
                "    return (await web.get(f'{base}/v1.0/state/statestore/{key}')).content\n"
            ),
            line=3,
            col=62,
        ),
        Invalid(
            (
                "import httpx\n\n"
                "async def state(web: httpx.AsyncClient, key: str, *, port: int = 3500) -> bytes:\n"
                "    url = f'http://127.0.0.1:{port}/v1.0/state/statestore/{key}'\n"
                "    return (await web.get(url)).content\n"
            ),
            line=3,
            col=66,
        ),
    )

    def visit_FunctionDef(self, node: FunctionNode) -> None:
        self._check(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check(node)

    def _check(self, function: FunctionNode) -> None:
        for parameter, default in _defaults(function):
            if not isinstance(default, ast.Constant):
                continue
            value = default.value
            port = value in SIDECAR_PORTS if type(value) is int else False
            address = _sidecar_address(value) if isinstance(value, str) else False
            if not (port or address):
                continue
            name = parameter.arg.lower()
            names_sidecar = any(word in name for word in _SIDECAR_WORDS)
            builds = self._builds_api_url(function, parameter.arg)
            if names_sidecar or (port and "port" in name and builds) or (address and builds):
                what = "port" if port else "address"
                self.report(
                    default,
                    f"`{parameter.arg}` defaults to the sidecar {what} {value}: "
                    "read it from the environment at call time",
                )

    def _builds_api_url(self, function: FunctionNode, name: str) -> bool:
        """The parameter goes into a string that addresses the Dapr API (`.../v1.0/...`)."""
        for node in ast.walk(function):
            if not isinstance(node, ast.JoinedStr | ast.BinOp):
                continue
            uses = any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))
            text = template(node, self.ctx.constants)
            if uses and text is not None and "/v1.0" in text:
                return True
        return False


def _sidecar_address(text: str) -> bool:
    match = _LOCAL_ADDRESS.match(text)
    return match is not None and int(match[1]) in SIDECAR_PORTS


def _defaults(function: FunctionNode) -> Iterator[tuple[ast.arg, ast.expr]]:
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    yield from zip(
        positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True
    )
    for parameter, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if default is not None:
            yield parameter, default
