"""DAPR048: a page-limited state query whose answer's token nobody reads.

Dapr's query API pages: a query with `page.limit` answers at most that many results and a `token`
while more match (PostgreSQL pages by offset; the generated query route hands the token to its
caller). Code that reads `results` and never the token works on the first page only, and every
item past it is silently left out. Only queries whose page limit the file shows are judged (a
literal, a name bound once to one, `json.dumps` of one or a JSON string constant): a query read
from a file or built elsewhere may set no limit, and then the store answers every match. An answer
handed on (returned, passed to a call other than a log line, kept on an object) is its receiver's
to page.

The raw HTTP query (`POST /v1.0-alpha1/state/<store>/query` with requests, httpx or aiohttp) is
judged alike: its JSON answer (`response.json()`, or a name bound to it) must have its `token`
read (`data["token"]`, `data.get("token")`) or be handed on.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable

from tools.validate.astutil import (
    argument,
    assigned_once,
    is_log_call,
    keyword,
    single_assignments,
    walk,
)
from tools.validate.context import FileContext
from tools.validate.instances import Instances, instances_of
from tools.validate.rules._http import Locals, http_request
from tools.validate.rules.base import Invalid, Rule

_DAPR_CLIENTS = frozenset({"dapr-sync", "dapr-async"})
_QUERY_METHODS = frozenset({"query_state", "query_state_alpha1"})
# A parameter only Dapr's query_state has: a call naming it is Dapr's, whatever its receiver.
_DAPR_PARAMETER = "states_metadata"
_HTTP_QUERY_PATH = re.compile(r"/v1\.0-alpha1/state/[^/?]+/query")
# How many names and json.dumps calls a query may pass through before the rule stops resolving it.
_RESOLVE_DEPTH = 5

_QUERY = (
    "import json\n\n"
    "from dapr.aio.clients import DaprClient\n\n"
    "QUERY = json.dumps({'filter': {'EQ': {'status': 'open'}}, 'page': {'limit': 50}})\n\n"
)


class QueryFirstPageOnly(Rule):
    id = "DAPR048"
    name = "query-first-page-only"
    message = (
        "a page-limited state query whose answer's `token` is never read: only the first page "
        "is seen, every match past it is left out"
    )
    why = (
        "Dapr's state query pages: with `page.limit` set, daprd answers at most that many "
        "results and a `token` while more items match. Code that reads `results` and never "
        "the token handles the first page as if it were all of them - a report that counts "
        "the first 50 orders, a sweep that closes the first 50 and never the rest - without "
        "any error."
    )
    fix = (
        "Follow the token: repeat the query with `page.token` set to the answer's `token` "
        "until it is empty, or hand the token to the caller (a paged route answers it beside "
        "the items)."
    )
    VALID = (
        _QUERY + "async def open_orders(client: DaprClient) -> list[bytes]:\n"
        "    found: list[bytes] = []\n"
        "    token = ''\n"
        "    while True:\n"
        "        page = {'limit': 50, 'token': token}\n"
        "        query = {'filter': {'EQ': {'status': 'open'}}, 'page': page}\n"
        "        answer = await client.query_state('orders', json.dumps(query))\n"
        "        found.extend(item.value for item in answer.results)\n"
        "        token = answer.token\n"
        "        if not token:\n"
        "            return found\n",
        # The caller gets the token with the page.
        _QUERY + "async def first_page(client: DaprClient) -> tuple[list[bytes], str]:\n"
        "    answer = await client.query_state('orders', QUERY)\n"
        "    return [item.value for item in answer.results], answer.token\n",
        # No page limit: the store answers every match at once.
        "import json\n\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "async def open_orders(client: DaprClient) -> list[bytes]:\n"
        "    query = json.dumps({'filter': {'EQ': {'status': 'open'}}})\n"
        "    answer = await client.query_state('orders', query)\n"
        "    return [item.value for item in answer.results]\n",
        # A query read from a file may set no limit: the rule does not guess.
        "from dapr.clients import DaprClient\n\n"
        "with DaprClient() as client:\n"
        "    answer = client.query_state('orders', open('query.json').read())\n"
        "    for item in answer.results:\n"
        "        print(item.key)\n",
        # Over HTTP: the JSON answer's token is followed.
        "import httpx\n\n"
        "QUERY_URL = 'http://localhost:3500/v1.0-alpha1/state/orders/query'  # noqa: DAPR013\n\n"
        "async def open_orders(http: httpx.AsyncClient) -> list[dict]:\n"
        "    found: list[dict] = []\n"
        "    page: dict = {'limit': 50}\n"
        "    while True:\n"
        "        query = {'filter': {'EQ': {'status': 'open'}}, 'page': page}\n"
        "        response = await http.post(QUERY_URL, json=query)\n"
        "        data = response.json()\n"
        "        found.extend(data['results'])\n"
        "        if not data.get('token'):\n"
        "            return found\n"
        "        page = {'limit': 50, 'token': data['token']}\n",
        # The JSON answer goes back to the caller, token and all.
        "import requests\n\n"
        "QUERY_URL = 'http://localhost:3500/v1.0-alpha1/state/orders/query'  # noqa: DAPR013\n"
        "QUERY = {'filter': {'EQ': {'status': 'open'}}, 'page': {'limit': 50}}\n\n"
        "def first_page() -> dict:\n"
        "    return requests.post(QUERY_URL, json=QUERY).json()\n",
    )
    INVALID = (
        Invalid(
            _QUERY + "async def open_orders(client: DaprClient) -> list[bytes]:\n"
            "    answer = await client.query_state('orders', QUERY)\n"
            "    return [item.value for item in answer.results]\n",
            line=8,
            col=20,
        ),
        # Printing the token is not following it.
        Invalid(
            "from dapr.clients import DaprClient\n\n"
            'QUERY = \'{"filter": {"EQ": {"status": "open"}}, "page": {"limit": 50}}\'\n\n'
            "with DaprClient() as client:\n"
            "    answer = client.query_state(store_name='orders', query=QUERY)\n"
            "    for item in answer.results:\n"
            "        print(item.key)\n"
            "    print('token', answer.token)\n",
            line=6,
            col=14,
        ),
        # The answer is never kept, so its token cannot be read.
        Invalid(
            _QUERY + "async def close_open(client: DaprClient) -> None:\n"
            "    for item in (await client.query_state('orders', QUERY)).results:\n"
            "        await client.delete_state('orders', item.key)\n",
            line=8,
            col=24,
        ),
        # Over HTTP: the results are read, the token never.
        Invalid(
            "import httpx\n\n"
            "QUERY_URL = 'http://localhost:3500/v1.0-alpha1/state/orders/query'  # noqa: DAPR013\n"
            "QUERY = {'filter': {'EQ': {'status': 'open'}}, 'page': {'limit': 50}}\n\n"
            "async def open_orders(http: httpx.AsyncClient) -> list[dict]:\n"
            "    response = await http.post(QUERY_URL, json=QUERY)\n"
            "    response.raise_for_status()\n"
            "    return response.json()['results']\n",
            line=7,
            col=22,
        ),
        # aiohttp, the body sent as a JSON string.
        Invalid(
            "import json\n\n"
            "import aiohttp\n\n"
            "async def open_orders(session: aiohttp.ClientSession, base: str) -> list[dict]:\n"
            "    query = {'filter': {'EQ': {'status': 'open'}}, 'page': {'limit': 50}}\n"
            "    url = f'{base}/v1.0-alpha1/state/orders/query'\n"
            "    async with session.post(url, data=json.dumps(query)) as response:\n"
            "        body = await response.json()\n"
            "    return body['results']\n",
            line=8,
            col=16,
        ),
        # The answer is never kept.
        Invalid(
            "import requests\n\n"
            "QUERY_URL = 'http://localhost:3500/v1.0-alpha1/state/orders/query'  # noqa: DAPR013\n"
            "QUERY = {'filter': {'EQ': {'status': 'open'}}, 'page': {'limit': 50}}\n\n"
            "def count_open() -> int:\n"
            "    return len(requests.post(QUERY_URL, json=QUERY).json()['results'])\n",
            line=7,
            col=16,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._instances: Instances | None = None
        self._module: ast.Module | None = None
        self._constants: dict[str, ast.expr] = {}
        self._locals = Locals()

    def visit_Module(self, node: ast.Module) -> None:
        self._module = node
        self._locals.add_module(node)
        self._instances = instances_of(self.ctx, node)
        self._constants = assigned_once(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        call = self._limited_query(node.value)
        if call is None or len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        name = node.targets[0].id
        scope: ast.AST | None = self.ctx.function or self._module
        if scope is not None and not _token_read_or_handed_on(name, walk(scope)):
            self.report(call, within=self.ctx.function)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "results":
            call = self._limited_query(node.value)
            if call is not None:
                self.report(call, within=self.ctx.function)

    def visit_Call(self, node: ast.Call) -> None:
        request = http_request(self.ctx, node, self._locals.of(self.ctx.function))
        if (
            request is None
            or request.verb != "POST"
            or not _HTTP_QUERY_PATH.search(request.url)
            or not self._page_limited(request.json_body or request.raw_body, _RESOLVE_DEPTH)
        ):
            return
        scope: ast.AST | None = self.ctx.function or self._module
        if scope is None:
            return
        nodes = walk(scope)
        answers = _http_answers(node, nodes)
        if answers:
            lost = not any(_token_read_or_handed_on(name, nodes) for name in answers)
        else:  # used in place: only its results can be read, and only once
            lost = any(
                _reads_key(n, "results", lambda v: _json_of(v, lambda r: r is node)) for n in nodes
            )
        if lost:
            self.report(node, within=self.ctx.function)

    def _limited_query(self, node: ast.expr) -> ast.Call | None:
        """`node` as a Dapr query_state call (awaited or not) whose query sets a page limit."""
        if isinstance(node, ast.Await):
            node = node.value
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _QUERY_METHODS
            and self._is_dapr(node)
        ):
            return None
        return node if self._page_limited(argument(node, 1, "query"), _RESOLVE_DEPTH) else None

    def _is_dapr(self, call: ast.Call) -> bool:
        if keyword(call, _DAPR_PARAMETER) is not None:
            return True
        if self._instances is None or not isinstance(call.func, ast.Attribute):
            return False
        bindings = self._instances.at(self.ctx.function)
        return self._instances.kind_of(call.func.value, bindings) in _DAPR_CLIENTS

    def _page_limited(self, query: ast.expr | None, depth: int) -> bool:
        """The query visibly sets `page.limit`: a dict literal, `json.dumps` of one, a JSON
        string, or a name bound once to one of those."""
        if query is None or depth == 0:
            return False
        if isinstance(query, ast.Dict):
            page = _entry(query, "page")
            if isinstance(page, ast.Name):
                page = self._resolve(page)
            return isinstance(page, ast.Dict) and _entry(page, "limit") is not None
        if isinstance(query, ast.Constant) and isinstance(query.value, str):
            return _json_page_limited(query.value)
        if isinstance(query, ast.Call) and _is_json_dumps(query) and query.args:
            return self._page_limited(query.args[0], depth - 1)
        if isinstance(query, ast.Name):
            return self._page_limited(self._resolve(query), depth - 1)
        return False

    def _resolve(self, name: ast.Name) -> ast.expr | None:
        function = self.ctx.function
        local = single_assignments(function).get(name.id) if function is not None else None
        return local if local is not None else self._constants.get(name.id)


def _entry(mapping: ast.Dict, key: str) -> ast.expr | None:
    for entry_key, value in zip(mapping.keys, mapping.values, strict=True):
        if isinstance(entry_key, ast.Constant) and entry_key.value == key:
            return value
    return None


def _json_page_limited(text: str) -> bool:
    try:
        parsed = json.loads(text)
    except ValueError:
        return False
    page = parsed.get("page") if isinstance(parsed, dict) else None
    return isinstance(page, dict) and "limit" in page


def _is_json_dumps(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "dumps"
        and isinstance(func.value, ast.Name)
        and func.value.id == "json"
    ) or (isinstance(func, ast.Name) and func.id == "dumps")


def _http_answers(request: ast.Call, nodes: tuple[ast.AST, ...]) -> set[str]:
    """Names bound to the request's response (`r = await post(...)`, `with post(...) as r`) or to
    its JSON body (`data = r.json()`, `data = await r.json()`)."""
    responses: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and _unawaited(node.value) is request:
            responses.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.With | ast.AsyncWith):
            responses.update(
                item.optional_vars.id
                for item in node.items
                if item.context_expr is request and isinstance(item.optional_vars, ast.Name)
            )
    bodies = {
        target.id
        for node in nodes
        if isinstance(node, ast.Assign)
        and (
            _json_of(node.value, lambda r: r is request)
            or any(_json_of(node.value, lambda r, n=name: _names(r, n)) for name in responses)
        )
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return responses | bodies


def _unawaited(node: ast.AST | None) -> ast.AST | None:
    return node.value if isinstance(node, ast.Await) else node


def _json_of(node: ast.AST | None, owns: Callable[[ast.AST | None], bool]) -> bool:
    """`node` is `owner.json()` or `await owner.json()` on an owner `owns` accepts."""
    call = _unawaited(node)
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "json"
    ):
        return False
    return owns(_unawaited(call.func.value))


def _reads_key(node: ast.AST, key: str, owns: Callable[[ast.AST], bool]) -> bool:
    """`node` is `value[key]` or `value.get(key, ...)` on a value `owns` accepts."""
    if isinstance(node, ast.Subscript):
        return _is_text(node.slice, key) and owns(node.value)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and bool(node.args)
        and _is_text(node.args[0], key)
        and owns(node.func.value)
    )


def _is_text(node: ast.AST, text: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == text


def _token_read_or_handed_on(name: str, nodes: tuple[ast.AST, ...]) -> bool:
    """`name.token` (or `name["token"]`, `name.json().get("token")`) is read outside a log line,
    or the answer leaves for someone to page: returned, yielded, passed to a call other than a
    log line, or kept on an object."""
    logged = {
        id(inner)
        for node in nodes
        if isinstance(node, ast.Call) and is_log_call(node)
        for inner in walk(node)
    }
    return any(id(node) not in logged and _reads_or_hands_on(node, name) for node in nodes)


def _reads_or_hands_on(node: ast.AST, name: str) -> bool:
    if _reads_key(node, "token", lambda value: _names(value, name)):
        return True
    if isinstance(node, ast.Attribute):
        return node.attr == "token" and _names(node.value, name)
    if isinstance(node, ast.Return | ast.Yield):
        return _names(node.value, name)
    if isinstance(node, ast.Call):
        values = [*node.args, *(keyword.value for keyword in node.keywords)]
        return any(_names(value, name) for value in values)
    if isinstance(node, ast.Assign):
        kept = any(not isinstance(target, ast.Name) for target in node.targets)
        return kept and _names(node.value, name)
    return False


def _names(value: ast.AST | None, name: str) -> bool:
    """`value` is the answer `name`, or its JSON body (`name.json()`, `await name.json()`)."""
    if isinstance(value, ast.Name):
        return value.id == name
    return _json_of(value, lambda owner: _names(owner, name))
