"""DAPR013: a hard-coded sidecar address or port, where it reaches the sidecar.

An address such as `localhost:3500` is only a finding where Dapr traffic uses it: as the URL of an
HTTP request to the Dapr API (`.../v1.0/...`), as an argument of a DaprClient, as the value of a
DAPR_* environment variable the process sets, or as a module constant the file exports for others
to use (named for Dapr or the sidecar, or holding a Dapr API URL). A value is followed through the
names the module and the function assign once, a class body's constants (`self.X`), f-strings,
`+`, `%` and `.format`. The same text in a log line, a CLI default that is printed, a docs string,
a test fixture's URL or the fallback of `os.environ.get(...)` (the environment wins there) reaches
no sidecar and is left alone.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tools.validate.astutil import (
    FunctionNode,
    argument,
    nodes_of,
    walk,
)
from tools.validate.context import FileContext
from tools.validate.rules._http import Locals
from tools.validate.rules.base import Invalid, Rule

_SIDECAR_URL = re.compile(
    r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|daprd?):(?:3500|3501|50001|50002)\b"
)
_SIDECAR_PORTS = frozenset({3500, 3501, 50001, 50002})
# What a DaprClient is given as its address is the sidecar's, whatever the port.
_ANY_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[\w.-]+:\d{2,5}\b")
_CLIENTS = frozenset(
    {
        "dapr.aio.clients.DaprClient",
        "dapr.aio.clients.grpc.client.DaprGrpcClientAsync",
        "dapr.clients.DaprClient",
        "dapr.clients.DaprGrpcClient",
        "dapr.clients.grpc.client.DaprGrpcClient",
    }
)
# `<anything>.post(url, ...)` and the like: requests, httpx, aiohttp and urllib3 share the shapes.
_URL_FIRST = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "ws_connect"})
_URL_SECOND = frozenset({"request", "stream"})
_URLLIB = frozenset({"urllib.request.urlopen", "urllib.request.Request"})
_DAPR_API = "/v1.0"
# Deep enough for any address written by hand; stops a name defined through itself.
_MAX_DEPTH = 8
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
        # The environment wins; the literal is only Dapr's own default.
        "import os\nimport requests\n\n"
        "ENDPOINT = os.getenv('DAPR_HTTP_ENDPOINT', 'http://localhost:3500')\n\n"
        "def publish(order: dict) -> None:\n"
        "    requests.post(f'{ENDPOINT}/v1.0/publish/pubsub/orders', json=order, timeout=5)\n",
        # The instance's address comes from the environment when the caller passes none.
        "import os\n\nimport httpx\n\nAPI = 'v1.0'\n\n"
        "class Store:\n"
        "    def __init__(self, base: str | None = None) -> None:\n"
        "        self.base = base or f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}\"\n\n"
        "    async def save(self, client: httpx.AsyncClient, key: str, value: str) -> None:\n"
        "        url = f'{self.base}/{API}/state/statestore'\n"
        "        item = [{'key': key, 'value': value}]\n"
        "        (await client.post(url, json=item)).raise_for_status()\n",
        # A settings mapping filled from the environment.
        "import os\n\nfrom dapr.clients import DaprClient\n\n"
        "SETTINGS = {'dapr_address': os.environ.get('DAPR_GRPC_ENDPOINT')}\n\n"
        "def make() -> DaprClient:\n"
        "    return DaprClient(address=SETTINGS['dapr_address'])\n",
        # Printed help, not Dapr traffic.
        "import argparse\n\n"
        "def main() -> None:\n"
        "    parser = argparse.ArgumentParser()\n"
        "    default = 'localhost:50001'\n"
        "    parser.add_argument('--dapr-address', default=None, help=f'default {default}')\n"
        "    print(parser.parse_args())\n",
    )
    INVALID = (
        Invalid("SIDECAR = 'http://localhost:3500/v1.0/state/statestore'\n", line=1, col=11),
        Invalid(
            (
                "import requests\n\n"
                "BASE = 'http://localhost:3500'\n\n"
                "def save(key: str, value: str) -> None:\n"
                "    url = f'{BASE}/v1.0/state/statestore'\n"
                "    response = requests.post(url, json=[{'key': key, 'value': value}], timeout=5)"
                "\n"
                "    response.raise_for_status()\n"
            ),
            line=3,
            col=8,
        ),
        # A class constant the methods build their URLs from.
        Invalid(
            (
                "import requests\n\n"
                "class Store:\n"
                "    HOST = 'http://localhost:3500'\n\n"
                "    def save(self, key: str, value: str) -> None:\n"
                "        url = f'{self.HOST}/v1.0/state/statestore'\n"
                "        response = requests.post(\n"
                "            url, json=[{'key': key, 'value': value}], timeout=5\n"
                "        )\n"
                "        response.raise_for_status()\n"
            ),
            line=4,
            col=12,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "def make():\n"
                "    return DaprClient('127.0.0.1:50001')\n"
            ),
            line=4,
            col=23,
        ),
        # A parameter's default, kept on the instance and joined with the API version.
        Invalid(
            (
                "import httpx\n\nSIDECAR = 'http://localhost:3500'\nAPI = 'v1.0'\n\n"
                "class Store:\n"
                "    def __init__(self, base: str = SIDECAR) -> None:\n"
                "        self.base = base\n\n"
                "    async def save(self, http: httpx.AsyncClient, key: str, value: str) -> None:\n"
                "        url = f'{self.base}/{API}/state/statestore'\n"
                "        item = [{'key': key, 'value': value}]\n"
                "        (await http.post(url, json=item)).raise_for_status()\n"
            ),
            line=3,
            col=11,
        ),
        # An address kept in the object's own mapping; any port is the sidecar's there.
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "class Context(dict):\n"
                "    def __init__(self) -> None:\n"
                "        super().__init__()\n"
                "        self['dapr_address'] = 'localhost:20001'\n\n"
                "    def client(self) -> DaprClient:\n"
                "        return DaprClient(address=self['dapr_address'])\n"
            ),
            line=6,
            col=32,
        ),
        # A settings dict.
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "SETTINGS = {'dapr_address': 'dapr:50001'}\n\n"
                "def make() -> DaprClient:\n"
                "    return DaprClient(address=SETTINGS['dapr_address'])\n"
            ),
            line=3,
            col=29,
        ),
        Invalid(
            "import os\n\nos.environ['DAPR_GRPC_ENDPOINT'] = 'localhost:50002'\n",
            line=3,
            col=36,
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
        # What a name holds where a sink reads it (a name assigned twice may hold anything).
        self._locals = Locals()
        # id of an assigned value -> its `X = value` statement (a port finding covers it whole).
        self._statements: dict[int, ast.Assign] = {}
        # Expressions whose value reaches the sidecar, with the function they are in.
        self._sinks: list[tuple[ast.expr, FunctionNode | None]] = []
        # The values given to a DaprClient as its address: any `host:port` there is the sidecar's.
        self._client_values: set[int] = set()
        self._mentions_api = False  # some string of the file addresses the Dapr API
        # `base_url=` of HTTP clients: a sink when the file's requests go to the Dapr API.
        self._base_urls: list[tuple[ast.expr, FunctionNode | None]] = []
        # `self.DAPR_HOST`: what a class body assigns once, by attribute name, and what the
        # methods assign `self.<name>` once (a parameter's default standing for the parameter).
        self._class_constants: dict[str, ast.expr] = {}
        # `settings["dapr_address"] = ...`, by the text of the container and the key.
        self._items: dict[tuple[str, str], ast.expr] = {}

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)
        self._class_constants = {**_instance_attributes(node), **_class_constants(node)}
        self._items = _item_assignments(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and _DAPR_API in node.value:
            self._mentions_api = True

    def visit_Call(self, node: ast.Call) -> None:
        function = self.ctx.function
        if self.ctx.qualname(node.func) in _CLIENTS:
            self._check_client(node)
            values = _argument_values(node)
            self._client_values |= {id(value) for value in values}
            self._sinks += [(value, function) for value in values]
            return
        url = self._request_url(node)
        if url is not None:
            self._sinks.append((url, function))
        self._sinks += [(value, function) for value in self._environment_values(node)]

    def visit_Assign(self, node: ast.Assign) -> None:
        self._statements[id(node.value)] = node
        # `os.environ["DAPR_HTTP_ENDPOINT"] = ...`: what the SDK in this process will use.
        if any(self._dapr_variable(target) for target in node.targets):
            self._sinks.append((node.value, self.ctx.function))

    def finish(self, module: ast.Module) -> None:
        for name, statement in _exported(module).items():
            upper = name.upper()
            if "DAPR" in upper or "SIDECAR" in upper or self._addresses_api(statement.value, {}, 0):
                self._sinks.append((ast.Name(name, ast.Load()), None))
        if self._mentions_api:
            self._sinks += self._base_urls
        reported: set[int] = set()
        for expression, function in self._sinks:
            client = id(expression) in self._client_values
            for origin in self._origins(expression, self._locals.of(function), 0, client=client):
                if id(origin) not in reported:
                    reported.add(id(origin))
                    self.report(origin, _message(origin), within=_enclosing(function, origin))

    def fixable(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Assign):  # a port constant: read it from the environment instead
            return (
                len(node.targets) == 1
                and type(getattr(node.value, "value", None)) is int
                and self.ctx.qualname(ast.Name("os")) in (None, "os")
            )
        return id(node) in self._default_addresses

    def _check_client(self, call: ast.Call) -> None:
        address = argument(call, 0, "address")
        if not (isinstance(address, ast.Constant) and isinstance(address.value, str)):
            return
        if address.value in DEFAULT_GRPC_ADDRESSES and _only_argument(call, address):
            self._default_addresses.add(id(address))
        if not _SIDECAR_URL.search(address.value):  # a sidecar address is reported as a sink
            self.report(address, "DaprClient is given a literal address")

    def _request_url(self, call: ast.Call) -> ast.expr | None:
        """The URL of an HTTP request to the Dapr API, or None; `base_url=` waits for `finish`."""
        func = call.func
        url: ast.expr | None = None
        attribute = func.attr if isinstance(func, ast.Attribute) else ""
        if attribute in _URL_FIRST or self.ctx.qualname(func) in _URLLIB:
            url = argument(call, 0, "url")
        elif attribute in _URL_SECOND:
            url = argument(call, 1, "url")
        base = next((kw.value for kw in call.keywords if kw.arg == "base_url"), None)
        if url is None and base is not None:
            self._base_urls.append((base, self.ctx.function))
        if url is None:
            return None
        names = self._locals.of(self.ctx.function)
        return url if self._addresses_api(url, names, 0) else None

    def _environment_values(self, call: ast.Call) -> Iterator[ast.expr]:
        """Values `os.putenv` / `os.environ.update` give DAPR_* variables (not `setdefault`)."""
        qualname = self.ctx.qualname(call.func)
        if qualname == "os.putenv" and len(call.args) == 2 and _dapr_key(call.args[0]):
            yield call.args[1]
        elif qualname == "os.environ.update":
            for keyword in call.keywords:
                if keyword.arg is not None and keyword.arg.startswith("DAPR_"):
                    yield keyword.value
            for mapping in call.args:
                if isinstance(mapping, ast.Dict):
                    for key, value in zip(mapping.keys, mapping.values, strict=True):
                        if key is not None and _dapr_key(key):
                            yield value

    def _dapr_variable(self, target: ast.expr) -> bool:
        return (
            isinstance(target, ast.Subscript)
            and self.ctx.qualname(target.value) == "os.environ"
            and _dapr_key(target.slice)
        )

    def _addresses_api(self, node: ast.expr, names: dict[str, ast.expr], depth: int) -> bool:
        """Some text the expression is built from names a path of the Dapr API (`/v1.0`)."""
        if depth > _MAX_DEPTH:
            return False
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str) and _DAPR_API in node.value
        if isinstance(node, ast.Name):
            if node.id in self.ctx.constants:
                return _DAPR_API in self.ctx.constants[node.id]
            value = names.get(node.id)
            return value is not None and self._addresses_api(value, names, depth + 1)
        # `f"{base}/{API_VERSION}/publish/..."`: the path is only whole once the parts are joined.
        if isinstance(node, ast.JoinedStr) and _DAPR_API in self._joined_text(node):
            return True
        return any(self._addresses_api(part, names, depth + 1) for part in _string_parts(node))

    def _joined_text(self, node: ast.JoinedStr) -> str:
        """The f-string's text, with the constants it names filled in and other parts blank."""
        text = []
        for part in node.values:
            value = part.value if isinstance(part, ast.FormattedValue) else part
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                text.append(value.value)
            elif isinstance(value, ast.Name) and value.id in self.ctx.constants:
                text.append(self.ctx.constants[value.id])
            else:
                text.append("\0")
        return "".join(text)

    def _origins(
        self, node: ast.expr, names: dict[str, ast.expr], depth: int, *, client: bool = False
    ) -> Iterator[ast.AST]:
        """The hard-coded addresses and port assignments an expression's value is built from
        (`client`: it is what a DaprClient is given, where any `host:port` is the sidecar's).

        Only what composes a string is followed: a call other than `str`/`.format` (`os.getenv(...,
        default)`) and `a or b` (a fallback after the environment) are not entered.
        """
        if depth > _MAX_DEPTH:
            return
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and (
                _SIDECAR_URL.search(node.value) or (client and _ANY_ADDRESS.match(node.value))
            ):
                yield node
        elif isinstance(node, ast.Name):
            value = names.get(node.id)
            statement = self._statements.get(id(value))
            if value is not None and statement is not None and _is_port(node.id, value):
                yield statement
            elif value is not None:
                yield from self._origins(value, names, depth + 1, client=client)
        elif isinstance(node, ast.Attribute) and _own_attribute(node):
            value = self._class_constants.get(node.attr)
            if value is not None:
                yield from self._origins(value, names, depth + 1, client=client)
        elif isinstance(node, ast.Subscript):
            value = self._item(node, names)
            if value is not None:
                yield from self._origins(value, names, depth + 1, client=client)
        else:
            for part in _string_parts(node):
                yield from self._origins(part, names, depth + 1, client=client)

    def _item(self, node: ast.Subscript, names: dict[str, ast.expr]) -> ast.expr | None:
        """What `settings["dapr_address"]` holds: the one assignment of that key, or the key's
        value in the dict literal the container was assigned."""
        key = node.slice
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None
        assigned = self._items.get((ast.unparse(node.value), key.value))
        if assigned is not None:
            return assigned
        container = names.get(node.value.id) if isinstance(node.value, ast.Name) else None
        if isinstance(container, ast.Dict):
            for item_key, value in zip(container.keys, container.values, strict=True):
                if isinstance(item_key, ast.Constant) and item_key.value == key.value:
                    return value
        return None


def _class_constants(module: ast.Module) -> dict[str, ast.expr]:
    """`NAME = value` statements of class bodies, by name; a name two classes (or two
    statements) assign may hold either, and is left out."""
    found: dict[str, ast.expr | None] = {}
    for node in nodes_of(module, ast.ClassDef):
        for statement in node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                if isinstance(target, ast.Name):
                    found[target.id] = None if target.id in found else statement.value
    return {name: value for name, value in found.items() if value is not None}


def _instance_attributes(module: ast.Module) -> dict[str, ast.expr]:
    """`self.<name> = value` in the methods of the module's classes, by name, where the name is
    assigned once: a parameter of the method stands for its default (what the instance holds
    when it is built without that argument)."""
    found: dict[str, ast.expr | None] = {}
    for cls in nodes_of(module, ast.ClassDef):
        for method in cls.body:
            if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            defaults = _parameter_defaults(method)
            for node in walk(method):
                if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                    continue
                target = node.targets[0]
                if isinstance(target, ast.Attribute) and _own_attribute(target):
                    value: ast.expr | None = node.value
                    if isinstance(value, ast.Name) and value.id in defaults:
                        value = defaults[value.id]
                    found[target.attr] = None if target.attr in found else value
    return {name: value for name, value in found.items() if value is not None}


def _parameter_defaults(function: FunctionNode) -> dict[str, ast.expr | None]:
    """Each parameter with its default (None: it has none, and may hold anything)."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    found = dict(zip((a.arg for a in positional), [*defaults, *arguments.defaults], strict=True))
    for parameter, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        found[parameter.arg] = default
    return found


def _item_assignments(module: ast.Module) -> dict[tuple[str, str], ast.expr]:
    """`container["key"] = value` anywhere in the module, by the container's text and the key;
    a key assigned twice may hold either, and is left out."""
    found: dict[tuple[str, str], ast.expr | None] = {}
    for node in nodes_of(module, ast.Assign):
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Subscript):
            continue
        target = node.targets[0]
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            slot = (ast.unparse(target.value), key.value)
            found[slot] = None if slot in found else node.value
    return {slot: value for slot, value in found.items() if value is not None}


def _own_attribute(node: ast.Attribute) -> bool:
    """`self.X` or `cls.X`: an attribute the class (or its instance) holds."""
    return isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


def _exported(module: ast.Module) -> dict[str, ast.Assign]:
    """Module-level `NAME = value` statements whose name this file never reads."""
    read = {node.id for node in nodes_of(module, ast.Name) if isinstance(node.ctx, ast.Load)}
    return {
        target.id: statement
        for statement in module.body
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1
        for target in statement.targets
        if isinstance(target, ast.Name) and target.id not in read
    }


def _string_parts(node: ast.expr) -> list[ast.expr]:
    """The parts a string expression is composed of: f-string values, `+` and `%` operands, the
    template and arguments of `.format`, the argument of `str(...)`."""
    if isinstance(node, ast.JoinedStr):
        return [p.value if isinstance(p, ast.FormattedValue) else p for p in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return [node.left, node.right]
    if isinstance(node, ast.Tuple):  # the right side of `"%s:%s" % (host, port)`
        return list(node.elts)
    if isinstance(node, ast.IfExp):
        return [node.body, node.orelse]
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return [func.value, *_argument_values(node)]
        if isinstance(func, ast.Name) and func.id in ("str", "int") and node.args:
            return [node.args[0]]
    return []


def _argument_values(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(kw.value for kw in call.keywords)]


def _only_argument(call: ast.Call, address: ast.expr) -> bool:
    """`address` is the call's only positional argument and no `**kwargs` hide another."""
    return call.args in ([], [address]) and all(kw.arg is not None for kw in call.keywords)


def _dapr_key(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and str(node.value).startswith("DAPR_")


def _is_port(name: str, value: ast.expr) -> bool:
    upper = name.upper()
    return (
        isinstance(value, ast.Constant)
        and type(value.value) in (int, float)  # a float port is as pinned (and not fixable)
        and value.value in _SIDECAR_PORTS
        and "DAPR" in upper
        and "PORT" in upper
    )


def _message(origin: ast.AST) -> str:
    if isinstance(origin, ast.Assign):
        name = getattr(origin.targets[0], "id", "the port")
        return f"`{name}` pins the sidecar port to {getattr(origin.value, 'value', '?')}"
    found = _SIDECAR_URL.search(str(getattr(origin, "value", "")))
    return f"hard-coded sidecar address {found.group(0) if found else '?'!r}"


def _enclosing(function: FunctionNode | None, node: ast.AST) -> FunctionNode | None:
    """`function` when `node` lies in it (the excerpt shows it); a module-level value has none."""
    if function is None:
        return None
    line = getattr(node, "lineno", 0)
    return function if function.lineno <= line <= (function.end_lineno or line) else None
