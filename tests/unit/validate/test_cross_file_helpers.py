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
    assert "svc.store.Orders().get()" in found[0].message
    assert "svc.store.Orders().put()" in found[0].message
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
        "    httpx.post(URL, json=[{'key': key, 'value': value}]).raise_for_status()\n"
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


# -- errors swallowed before SUCCESS through another module (DAPR033) ------------------------------

_NOTIFY = (
    "import logging\n\n"
    "import httpx\n\n"
    "log = logging.getLogger(__name__)\n"
    "http = httpx.AsyncClient()\n\n"
    "async def notify(event: dict) -> None:\n"
    "    try:\n"
    "        response = await http.post('http://mailer/send', json=event)\n"
    "        response.raise_for_status()\n"
    "    except httpx.HTTPError as error:\n"  # line 12
    "        log.error('send failed: %s', error)\n"
)
_SUBSCRIBER = (
    "from fastapi import FastAPI, Request\n\n"
    "from svc.notify import notify\n\n"
    "app = FastAPI()\n\n\n"
    "@app.get('/dapr/subscribe')\n"
    "def subscribe() -> list[dict]:\n"
    "    return [{'pubsubname': 'pubsub', 'topic': 'mail', 'route': '/mail'}]\n\n\n"
    "@app.post('/mail')\n"
    "async def on_mail(request: Request) -> dict:\n"
    "    await notify(await request.json())\n"  # line 15
    "    return {'status': 'SUCCESS'}\n"
)


def test_a_helper_swallowing_its_failure_is_reported_where_it_catches(tmp_path: Path) -> None:
    found = _diagnostics({"svc/notify.py": _NOTIFY, "svc/main.py": _SUBSCRIBER}, tmp_path)
    assert [(d.path, d.line, d.column, d.rule) for d in found] == [
        ("svc/notify.py", 12, 5, "DAPR033")
    ]
    assert "`on_mail` (svc/main.py:15)" in found[0].message


def test_a_return_in_the_except_is_where_it_is_reported(tmp_path: Path) -> None:
    notify = _NOTIFY + "        return\n    log.info('sent')\n"
    found = _findings({"svc/notify.py": notify, "svc/main.py": _SUBSCRIBER}, tmp_path)
    assert found == {("svc/notify.py", 14, "DAPR033")}


def test_an_ignored_failure_result_is_reported_at_the_call(tmp_path: Path) -> None:
    """Two hops: the service's method returns what a helper of a third module signals."""
    state = (
        "from dapr.clients import DaprClient\n\n\n"
        "def save(key: str, value: str) -> bool:\n"
        "    try:\n"
        "        with DaprClient() as client:\n"
        "            client.save_state('statestore', key, value)\n"
        "        return True\n"
        "    except Exception:\n"
        "        return False\n"
    )
    service = (
        "from svc.state import save\n\n\n"
        "class Mailer:\n"
        "    async def handle(self, event: dict) -> bool:\n"
        "        done = save(event['id'], 'sent')\n"
        "        return done\n\n\n"
        "def get_mailer() -> Mailer:\n"
        "    return Mailer()\n"
    )
    subscriber = _SUBSCRIBER.replace(
        "from svc.notify import notify", "from svc.service import get_mailer"
    ).replace(
        "    await notify(await request.json())\n",
        "    await get_mailer().handle(await request.json())\n",
    )
    files = {"svc/state.py": state, "svc/service.py": service, "svc/main.py": subscriber}
    found = [d for d in _diagnostics(files, tmp_path) if d.rule == "DAPR033"]
    assert [(d.path, d.line) for d in found] == [("svc/main.py", 15)]
    assert "svc.service.get_mailer().handle()" in found[0].message


def test_quiet_when_the_helper_re_raises(tmp_path: Path) -> None:
    notify = _NOTIFY + "        raise\n"
    assert _findings({"svc/notify.py": notify, "svc/main.py": _SUBSCRIBER}, tmp_path) == set()


def test_quiet_when_the_handler_checks_the_result(tmp_path: Path) -> None:
    notify = _NOTIFY.replace("-> None:", "-> bool:") + "        return False\n    return True\n"
    subscriber = _SUBSCRIBER.replace(
        "    await notify(await request.json())\n",
        "    if not await notify(await request.json()):\n        return {'status': 'RETRY'}\n",
    )
    assert _findings({"svc/notify.py": notify, "svc/main.py": subscriber}, tmp_path) == set()


def test_quiet_when_only_payload_errors_are_caught(tmp_path: Path) -> None:
    notify = _NOTIFY.replace("except httpx.HTTPError as error", "except KeyError as error")
    assert _findings({"svc/notify.py": notify, "svc/main.py": _SUBSCRIBER}, tmp_path) == set()


def test_quiet_on_a_route_dapr_does_not_deliver_to(tmp_path: Path) -> None:
    subscriber = _SUBSCRIBER.replace("'route': '/mail'", "'route': '/other'")
    found = _findings({"svc/notify.py": _NOTIFY, "svc/main.py": subscriber}, tmp_path)
    assert {rule for _, _, rule in found} <= {"DAPR030"}  # /other is served by nothing


def test_a_route_declared_in_a_manifest_is_delivered(tmp_path: Path) -> None:
    subscriber = _SUBSCRIBER.replace("'route': '/mail'", "'route': '/other'")
    manifest = (
        "apiVersion: dapr.io/v2alpha1\n"
        "kind: Subscription\n"
        "metadata:\n  name: mail\n"
        "spec:\n  pubsubname: pubsub\n  topic: mail\n  routes:\n    default: /mail\n"
    )
    files = {"svc/notify.py": _NOTIFY, "svc/main.py": subscriber, "components/mail.yaml": manifest}
    assert ("svc/notify.py", 12, "DAPR033") in _findings(files, tmp_path)


# -- a malformed payload answered RETRY through another module (DAPR006) ---------------------------

_SEND = (
    "import logging\n\n"
    "import httpx\n\n"
    "log = logging.getLogger(__name__)\n\n\n"
    "async def send(event: dict) -> bool:\n"
    "    user = event.get('user')\n"
    "    if not user:\n"
    "        return False\n"
    "    try:\n"
    "        async with httpx.AsyncClient() as client:\n"
    "            await client.post('http://mailer/send', json={'to': user})\n"
    "    except httpx.HTTPError:\n"
    "        log.exception('send failed')\n"
    "        return False\n"
    "    return True\n"
)
_RETRYING = (
    "from fastapi import FastAPI, Request\n\n"
    "from svc.send import send\n\n"
    "app = FastAPI()\n\n\n"
    "@app.get('/dapr/subscribe')\n"
    "def subscribe() -> list[dict]:\n"
    "    return [{'pubsubname': 'pubsub', 'topic': 'mail', 'route': '/mail'}]\n\n\n"
    "@app.post('/mail')\n"
    "async def on_mail(request: Request) -> dict:\n"
    "    sent = await send((await request.json())['data'])\n"
    "    if not sent:\n"
    "        return {'status': 'RETRY'}\n"  # line 17
    "    return {'status': 'SUCCESS'}\n"
)


def test_retry_for_a_result_false_for_bad_payloads_and_failures(tmp_path: Path) -> None:
    found = _diagnostics({"svc/send.py": _SEND, "svc/main.py": _RETRYING}, tmp_path)
    assert [(d.path, d.line, d.rule) for d in found if d.rule == "DAPR006"] == [
        ("svc/main.py", 17, "DAPR006")
    ]
    assert "svc.send.send()" in next(d.message for d in found if d.rule == "DAPR006")


def test_quiet_when_the_helper_refuses_a_payload_differently(tmp_path: Path) -> None:
    send = _SEND.replace(
        "    if not user:\n        return False\n", "    if not user:\n        return None\n"
    )
    found = _findings({"svc/send.py": send, "svc/main.py": _RETRYING}, tmp_path)
    assert not any(rule == "DAPR006" for _, _, rule in found)


def test_quiet_when_false_only_means_a_failure(tmp_path: Path) -> None:
    send = _SEND.replace("    if not user:\n        return False\n", "")
    found = _findings({"svc/send.py": send, "svc/main.py": _RETRYING}, tmp_path)
    assert not any(rule == "DAPR006" for _, _, rule in found)


# -- a delivery route answering with a function of another module, handed its request ------------

_HANDLERS = (
    "from fastapi import Request\n"
    "from pydantic import BaseModel\n\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n\n\n"
    "async def handle_order(request: Request) -> dict:\n"
    "    order = Order.model_validate((await request.json())['data'])\n"  # line 10
    "    print(order)\n"
    "    return {'status': 'SUCCESS'}\n"
)


def _delegating_app(body: str, subscribed: bool = True) -> dict[str, str]:
    subscription = (
        "@app.get('/dapr/subscribe')\n"
        "def subscribe() -> list[dict]:\n"
        "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n\n\n"
        if subscribed
        else ""
    )
    main = (
        "from fastapi import FastAPI, Request\n\n"
        "from svc.handlers import handle_order\n\n"
        "app = FastAPI()\n\n\n"
        f"{subscription}"
        "@app.post('/orders')\n"
        "async def on_order(request: Request) -> dict:\n"
        f"{body}"
    )
    return {"svc/handlers.py": _HANDLERS, "svc/main.py": main}


def test_a_delegate_of_a_delivered_route_is_judged_as_the_route(tmp_path: Path) -> None:
    found = _diagnostics(_delegating_app("    return await handle_order(request)\n"), tmp_path)
    assert [(d.path, d.line, d.column, d.rule) for d in found] == [
        ("svc/handlers.py", 10, 13, "DAPR006")
    ]


def test_quiet_when_the_route_is_no_delivery(tmp_path: Path) -> None:
    files = _delegating_app("    return await handle_order(request)\n", subscribed=False)
    assert _findings(files, tmp_path) == set()


def test_a_delegate_alone_is_quiet(tmp_path: Path) -> None:
    assert _findings({"svc/handlers.py": _HANDLERS}, tmp_path) == set()


_PAYLOAD_HANDLERS = (
    "from typing import Any\n\n"
    "from pydantic import BaseModel\n\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n\n\n"
    "async def process_order(data: dict[str, Any]) -> None:\n"
    "    order = Order.model_validate(data)\n"  # line 11
    "    print(order)\n"
)


def _payload_app(body: str, subscribed: bool = True) -> dict[str, str]:
    files = _delegating_app(body, subscribed)
    main = files["svc/main.py"].replace("import handle_order", "import process_order")
    return {"svc/handlers.py": _PAYLOAD_HANDLERS, "svc/main.py": main}


_AWAITS_PAYLOAD = (
    "    envelope = await request.json()\n"
    "    await process_order(envelope['data'])\n"
    "    return {'status': 'SUCCESS'}\n"
)


def test_a_payload_helper_awaited_before_success_is_judged_as_the_route(tmp_path: Path) -> None:
    found = _diagnostics(_payload_app(_AWAITS_PAYLOAD), tmp_path)
    assert [(d.path, d.line, d.column, d.rule) for d in found] == [
        ("svc/handlers.py", 11, 13, "DAPR006")
    ]


def test_quiet_when_the_route_guards_the_payload_helper(tmp_path: Path) -> None:
    guarded = (
        "    envelope = await request.json()\n"
        "    try:\n"
        "        await process_order(envelope['data'])\n"
        "    except ValueError:\n"
        "        return {'status': 'DROP'}\n"
        "    return {'status': 'SUCCESS'}\n"
    )
    assert _findings(_payload_app(guarded), tmp_path) == set()


def test_quiet_when_the_payload_helper_route_is_no_delivery(tmp_path: Path) -> None:
    assert _findings(_payload_app(_AWAITS_PAYLOAD, subscribed=False), tmp_path) == set()


def test_a_payload_helper_alone_is_quiet(tmp_path: Path) -> None:
    assert _findings({"svc/handlers.py": _PAYLOAD_HANDLERS}, tmp_path) == set()


_DEDUPE = (
    "seen: set[str] = set()\n\n\n"
    "async def record(event: dict) -> None:\n"
    "    if event.get('id') in seen:\n"  # line 5
    "        return\n"
    "    seen.add(str(event.get('id')))\n"
)


def _dedupe_app(subscribed: bool) -> dict[str, str]:
    subscription = (
        "@app.get('/dapr/subscribe')\n"
        "def subscribe() -> list[dict]:\n"
        "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n\n\n"
        if subscribed
        else ""
    )
    main = (
        "from fastapi import FastAPI, Request\n\n"
        "from svc.dedupe import record\n\n"
        "app = FastAPI()\n\n\n"
        f"{subscription}"
        "@app.post('/orders')\n"
        "async def on_order(request: Request) -> dict:\n"
        "    await record(await request.json())\n"
        "    return {'status': 'SUCCESS'}\n"
    )
    return {"svc/dedupe.py": _DEDUPE, "svc/main.py": main}


def test_an_in_memory_dedupe_a_delivery_of_another_module_calls(tmp_path: Path) -> None:
    found = _diagnostics(_dedupe_app(subscribed=True), tmp_path)
    assert [(d.path, d.line, d.rule) for d in found] == [("svc/dedupe.py", 5, "DAPR018")]
    assert "on_order" in found[0].message


def test_an_in_memory_dedupe_no_delivery_calls_is_quiet(tmp_path: Path) -> None:
    assert _findings(_dedupe_app(subscribed=False), tmp_path) == set()


# -- a blocking client behind the project's own wrapper class, kept on `self` --------------------

_WRAPPER = (
    "import httpx\n\n\n"
    "class Http:\n"
    "    def __init__(self) -> None:\n"
    "        self._client = self.create_client()\n\n"
    "    def create_client(self) -> httpx.Client:\n"
    "        return httpx.Client(timeout=10)\n\n"
    "    def post(self, url: str, body: dict) -> httpx.Response:\n"
    "        return self._client.post(url, json=body)\n"
)


def test_a_wrapper_of_another_module_kept_on_self_blocks(tmp_path: Path) -> None:
    boards = (
        "from svc.http import Http\n\n\n"
        "class Boards:\n"
        "    def __init__(self) -> None:\n"
        "        self._http = Http()\n\n"
        "    async def query(self, wiql: dict) -> dict:\n"
        "        return self._http.post('https://boards/wiql', wiql).json()\n"  # line 9
    )
    found = _findings({"svc/http.py": _WRAPPER, "svc/boards.py": boards}, tmp_path)
    assert found == {("svc/boards.py", 9, "DAPR004")}


def test_a_wrapper_around_the_async_client_is_quiet(tmp_path: Path) -> None:
    wrapper = _WRAPPER.replace("httpx.Client(", "httpx.AsyncClient(").replace(
        "-> httpx.Client:", "-> httpx.AsyncClient:"
    )
    boards = (
        "from svc.http import Http\n\n\n"
        "class Boards:\n"
        "    def __init__(self) -> None:\n"
        "        self._http = Http()\n\n"
        "    async def query(self, wiql: dict) -> dict:\n"
        "        return await self._http.post('https://boards/wiql', wiql)\n"
    )
    assert _findings({"svc/http.py": wrapper, "svc/boards.py": boards}, tmp_path) == set()
