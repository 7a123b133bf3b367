"""Findings through helpers of another project module: each file's facts joined project-wide.

Each case is a small project; the same project goes through `check_changes` (a change set) and
`check_tree` (`daprdev check`), which must agree.
"""

from __future__ import annotations

from pathlib import Path

from tools.changes import Diagnostic, FileChange
from tools.validate import check_changes
from tools.validate.deliveries import DeliveryFacts
from tools.validate.engine import analyze
from tools.validate.tree import check_tree

# A repository class and module functions around the SDK, none passing an ETag.
_STORE = (
    "import json\n\n"
    "from dapr.aio.clients import DaprClient\n\n\n"
    "class Orders:\n"
    "    def __init__(self) -> None:\n"
    "        self._client = DaprClient()\n\n"
    "    async def get(self, order_id: str) -> dict:\n"
    "        state = await self._client.get_state('orders', order_id)\n"
    "        return json.loads(state.data or b'{}')\n\n"
    "    async def put(self, order_id: str, order: dict) -> None:\n"
    "        await self._client.save_state('orders', order_id, json.dumps(order))\n\n\n"
    "orders = Orders()\n\n\n"
    "def get_orders() -> Orders:\n"
    "    return orders\n\n\n"
    "async def load(client: DaprClient, key: str) -> bytes:\n"
    "    return (await client.get_state('orders', key)).data\n\n\n"
    "async def store(client: DaprClient, key: str, value: str) -> None:\n"
    "    await client.save_state('orders', key, value)\n"
)
_ROUTES_HEAD = (
    "from dapr.aio.clients import DaprClient\n"
    "from fastapi import Depends, FastAPI\n\n"
    "from svc.store import Orders, get_orders, load, orders, store\n\n"
    "app = FastAPI()\n"
    "client = DaprClient()\n\n\n"
)
# Line 10 onwards.
_PAY = (
    "@app.post('/orders/{order_id}/paid')\n"
    "async def pay(order_id: str, repo: Orders = Depends(get_orders)) -> None:\n"
    "    order = await repo.get(order_id)\n"
    "    order['status'] = 'paid'\n"
    "    await repo.put(order_id, order)\n"  # line 14
)


def _findings(files: dict[str, str], tmp_path: Path) -> set[tuple[str, int, str]]:
    """(path, line, rule) of the Dapr findings, asserting both pipelines report the same."""
    return {(d.path, d.line, d.rule) for d in _diagnostics(files, tmp_path)}


def _diagnostics(files: dict[str, str], tmp_path: Path) -> list[Diagnostic]:
    changes = [FileChange(path=path, content=text) for path, text in files.items()]
    report = check_changes(changes, trust_suppressions=True)
    from_changes = [d for d in report.diagnostics if d.source == "dapr"]
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    tree = check_tree([tmp_path], root=tmp_path, use_cache=False)
    from_tree = [d for d in tree.diagnostics if d.source == "dapr"]
    assert {(d.path, d.line, d.rule, d.message) for d in from_changes} == {
        (d.path, d.line, d.rule, d.message) for d in from_tree
    }
    return from_changes


def _project(routes: str, store: str = _STORE) -> dict[str, str]:
    return {"svc/store.py": store, "svc/routes.py": _ROUTES_HEAD + routes}


def test_read_modify_write_through_a_repository_parameter(tmp_path: Path) -> None:
    found = _diagnostics(_project(_PAY), tmp_path)
    assert [(d.path, d.line, d.column, d.rule) for d in found] == [
        ("svc/routes.py", 14, 11, "DAPR016")
    ]
    # The message names the other module's helpers.
    assert "svc.store.Orders.get()" in found[0].message
    assert "svc.store.Orders.put()" in found[0].message
    assert "line 12" in found[0].message


def test_read_modify_write_through_a_getter_and_a_module_instance(tmp_path: Path) -> None:
    routes = (
        "@app.post('/orders/{order_id}/paid')\n"
        "async def pay(order_id: str) -> None:\n"
        "    repo = get_orders()\n"
        "    order = await repo.get(order_id)\n"
        "    await orders.put(order_id, {**order, 'status': 'paid'})\n"
    )
    assert _findings(_project(routes), tmp_path) == {("svc/routes.py", 14, "DAPR016")}


def test_check_then_set_through_module_functions(tmp_path: Path) -> None:
    routes = (
        "@app.post('/claims/{claim_id}')\n"
        "async def claim(claim_id: str) -> bool:\n"
        "    if await load(client, claim_id):\n"
        "        return False\n"
        "    await store(client, claim_id, 'taken')\n"
        "    return True\n"
    )
    found = _diagnostics(_project(routes), tmp_path)
    assert [(d.line, d.rule) for d in found] == [(14, "DAPR017")]
    assert "svc.store.load()" in found[0].message
    assert "line 12" in found[0].message


def test_helpers_over_the_raw_state_api(tmp_path: Path) -> None:
    store = (
        "import os\n\n"
        "import httpx\n\n"
        "URL = f\"http://localhost:{os.environ['DAPR_HTTP_PORT']}/v1.0/state/orders\"\n\n\n"
        "def fetch(key: str) -> dict:\n"
        "    return httpx.get(f'{URL}/{key}').json()\n\n\n"
        "def keep(key: str, value: dict) -> None:\n"
        "    httpx.post(URL, json=[{'key': key, 'value': value}])\n"
    )
    routes = (
        "from fastapi import FastAPI\n\n"
        "from svc.store import fetch, keep\n\n"
        "app = FastAPI()\n\n\n"
        "@app.post('/stock/{sku}')\n"
        "def take(sku: str) -> None:\n"
        "    stock = fetch(sku)\n"
        "    stock['count'] -= 1\n"
        "    keep(sku, stock)\n"  # line 12
    )
    files = {"svc/store.py": store, "svc/routes.py": routes}
    assert _findings(files, tmp_path) == {("svc/routes.py", 12, "DAPR016")}


def test_quiet_when_the_helpers_hand_out_and_take_the_etag(tmp_path: Path) -> None:
    store = _STORE.replace(
        "        return json.loads(state.data or b'{}')\n",
        "        return {'data': json.loads(state.data or b'{}'), 'etag': state.etag}\n",
    ).replace(
        "    async def put(self, order_id: str, order: dict) -> None:\n"
        "        await self._client.save_state('orders', order_id, json.dumps(order))\n",
        "    async def put(self, order_id: str, order: dict, etag: str) -> None:\n"
        "        await self._client.save_state('orders', order_id, json.dumps(order), etag)\n",
    )
    routes = _PAY.replace(
        "    await repo.put(order_id, order)\n",
        "    await repo.put(order_id, order, order['etag'])\n",
    )
    assert _findings(_project(routes, store), tmp_path) == set()


def test_quiet_when_the_callees_are_no_state_helpers(tmp_path: Path) -> None:
    store = (
        "def lookup(order_id: str) -> dict:\n"
        "    return {'id': order_id}\n\n\n"
        "def send(order_id: str, order: dict) -> None:\n"
        "    print(order_id, order)\n"
    )
    routes = (
        "from fastapi import FastAPI\n\n"
        "from svc.store import lookup, send\n\n"
        "app = FastAPI()\n\n\n"
        "@app.post('/orders/{order_id}')\n"
        "def forward(order_id: str) -> None:\n"
        "    order = lookup(order_id)\n"
        "    order['seen'] = True\n"
        "    send(order_id, order)\n"
    )
    assert _findings({"svc/store.py": store, "svc/routes.py": routes}, tmp_path) == set()


def test_quiet_when_the_helper_module_is_not_in_the_project(tmp_path: Path) -> None:
    assert _findings({"svc/routes.py": _ROUTES_HEAD + _PAY}, tmp_path) == set()


def test_quiet_when_a_helper_both_reads_and_writes(tmp_path: Path) -> None:
    """A helper doing the whole update is judged in its own module, not at its callers."""
    store = _STORE + (
        "\n\nasync def bump(client: DaprClient, key: str) -> str:\n"
        "    state = await client.get_state('orders', key)\n"
        "    await client.save_state('orders', key, state.data, etag=state.etag)\n"
        "    return key\n"
    )
    routes = (
        "@app.post('/orders/{order_id}/bump')\n"
        "async def bump_twice(order_id: str) -> None:\n"
        "    first = await repo_bump(client, order_id)\n"
        "    await repo_bump(client, first)\n"
    )
    head = _ROUTES_HEAD.replace(
        "load, orders, store", "load, orders, store\nfrom svc.store import bump as repo_bump"
    )
    files = {"svc/store.py": store, "svc/routes.py": head + routes}
    assert _findings(files, tmp_path) == set()


def test_a_suppressed_write_is_quiet(tmp_path: Path) -> None:
    routes = _PAY.replace("order_id, order)\n", "order_id, order)  # noqa: DAPR016\n")
    assert _findings(_project(routes), tmp_path) == set()


def test_one_finding_where_the_file_itself_shows_the_flow(tmp_path: Path) -> None:
    """The in-file rule reports the direct read-modify-write, the helper call only its own."""
    routes = (
        "@app.post('/orders/{order_id}/paid')\n"
        "async def pay(order_id: str) -> None:\n"
        "    state = await client.get_state('orders', order_id)\n"
        "    await orders.put(order_id, {'old': state.data})\n"
        "    await client.save_state('orders', order_id, state.data + b'!')\n"
    )
    assert _findings(_project(routes), tmp_path) == {
        ("svc/routes.py", 13, "DAPR016"),
        ("svc/routes.py", 14, "DAPR016"),
    }


def test_the_helper_module_on_disk_outside_the_change_set(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "store.py").write_text(_STORE)
    change = FileChange(path="svc/routes.py", content=_ROUTES_HEAD + _PAY)
    report = check_changes([change], root=tmp_path, trust_suppressions=True)
    assert [(d.line, d.rule) for d in report.diagnostics if d.source == "dapr"] == [(14, "DAPR016")]


def test_cached_facts_give_the_same_findings(tmp_path: Path) -> None:
    for path, text in _project(_PAY).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    first = check_tree([tmp_path], root=tmp_path)
    again = check_tree([tmp_path], root=tmp_path)
    expected = [("svc/routes.py", 14, "DAPR016")]
    assert [(d.path, d.line, d.rule) for d in first.diagnostics if d.source == "dapr"] == expected
    assert [(d.path, d.line, d.rule) for d in again.diagnostics if d.source == "dapr"] == expected


def test_state_facts_round_trip_as_json() -> None:
    for path, text in _project(_PAY).items():
        facts = analyze(path, text, rules=()).facts
        assert facts.state is not None
        assert DeliveryFacts.model_validate_json(facts.model_dump_json()) == facts
