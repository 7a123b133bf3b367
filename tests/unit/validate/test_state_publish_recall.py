"""DAPR016/017 through a project's own state helpers and the raw state API; the publish rules."""

from __future__ import annotations

import pytest

from tools.validate.engine import analyze


def _findings(source: str, rule: str, path: str = "app/service.py") -> list[tuple[int, str]]:
    return [(d.line, d.message) for d in analyze(path, source).diagnostics if d.rule == rule]


def _lines(source: str, rule: str) -> list[int]:
    return [line for line, _ in _findings(source, rule)]


# -- state: helpers of the file -----------------------------------------------------------------

_MODULE_HELPERS = (
    "import json\n"
    "from dapr.clients import DaprClient\n"
    "\n"
    "client = DaprClient()\n"
    "\n"
    "def load(key: str) -> dict | None:\n"
    "    response = client.get_state('store', key)\n"
    "    return json.loads(response.data) if response.data else None\n"
    "\n"
    "def store(key: str, value: dict) -> None:\n"
    "    client.save_state('store', key, json.dumps(value))\n"
    "\n"
)


def test_read_modify_write_through_module_helpers_is_reported() -> None:
    source = _MODULE_HELPERS + (
        "def add(list_key: str, item: str) -> None:\n"  # 13
        "    items = load(list_key) or {'ids': []}\n"  # 14
        "    items['ids'].append(item)\n"
        "    store(list_key, items)\n"  # 16
    )
    assert _lines(source, "DAPR016") == [16]


def test_helpers_named_like_the_sdk_methods_without_a_dapr_import() -> None:
    # The file reaches the SDK through the project's own client object; `store_name=` is the
    # SDK's parameter, so these calls are the SDK's.
    source = (
        "import json\n"
        "from .client import get_service\n"
        "\n"
        "def get_state(key: str) -> dict | None:\n"
        "    response = get_service().client.get_state(store_name='store', key=key)\n"
        "    return json.loads(response.data) if response.data else None\n"
        "\n"
        "def save_state(key: str, value: dict) -> None:\n"
        "    get_service().client.save_state(store_name='store', key=key, "
        "value=json.dumps(value))\n"
        "\n"
        "async def remove(key: str, item: str) -> None:\n"
        "    registry = get_state(key)\n"  # 12
        "    if registry and item in registry['ids']:\n"
        "        registry['ids'].remove(item)\n"
        "        save_state(key, registry)\n"  # 15
    )
    [(line, message)] = _findings(source, "DAPR016")
    assert line == 15
    assert "line 12" in message


def test_a_guarded_helper_is_no_helper() -> None:
    source = (
        "import json\n"
        "from dapr.clients import DaprClient\n"
        "from dapr.clients.grpc._state import Concurrency, StateOptions\n"
        "\n"
        "client = DaprClient()\n"
        "\n"
        "def load(key: str) -> dict:\n"
        "    return json.loads(client.get_state('store', key).data)\n"
        "\n"
        "def claim(key: str, value: dict) -> None:\n"
        "    client.save_state('store', key, json.dumps(value), "
        "options=StateOptions(concurrency=Concurrency.first_write))\n"
        "\n"
        "def add(key: str, item: str) -> None:\n"
        "    items = load(key)\n"
        "    items['ids'].append(item)\n"
        "    claim(key, items)\n"
    )
    assert _lines(source, "DAPR016") == []


def test_a_method_reading_through_its_own_helper() -> None:
    source = (
        "import json\n"
        "from dapr.clients import DaprClient\n"
        "\n"
        "class Tasks:\n"
        "    def __init__(self) -> None:\n"
        "        self._client = DaprClient()\n"
        "\n"
        "    def get(self, name: str) -> dict | None:\n"
        "        response = self._client.get_state('store', name)\n"
        "        return json.loads(response.data) if response.data else None\n"
        "\n"
        "    def finish(self, name: str, result: str) -> None:\n"
        "        task = self.get(name)\n"
        "        if task is None:\n"
        "            return\n"
        "        task['result'] = result\n"
        "        self._client.save_state('store', name, json.dumps(task))\n"  # 17
    )
    assert _lines(source, "DAPR016") == [17]


def test_the_key_taken_from_the_read_item_is_the_same_item() -> None:
    source = _MODULE_HELPERS + (
        "def take(order: dict) -> None:\n"
        "    item = load(order['product_id'])\n"
        "    updated = {'product_id': item['product_id'], 'stock': item['stock'] - 1}\n"
        "    client.save_state('store', updated['product_id'], json.dumps(updated))\n"  # 16
    )
    assert _lines(source, "DAPR016") == [16]


def test_another_field_of_the_read_item_is_another_item() -> None:
    source = _MODULE_HELPERS + (
        "def note(order_id: str) -> None:\n"
        "    order = load(order_id)\n"
        "    client.save_state('store', order['customer_id'], json.dumps({'last': order}))\n"
    )
    assert _lines(source, "DAPR016") == []


# -- state: check-then-set ----------------------------------------------------------------------


def test_raw_http_processed_marker_is_check_then_set() -> None:
    source = (
        "import httpx\n"
        "\n"
        "BASE = 'http://localhost:3500'\n"
        "\n"
        "async def seen(event_id: str) -> bool:\n"
        "    async with httpx.AsyncClient() as http:\n"
        "        response = await http.get(f'{BASE}/v1.0/state/statestore/{event_id}')\n"
        "    return response.status_code == 200 and bool(response.text)\n"
        "\n"
        "async def mark(event_id: str) -> None:\n"
        "    async with httpx.AsyncClient() as http:\n"
        "        await http.post(f'{BASE}/v1.0/state/statestore', "
        "json=[{'key': event_id, 'value': 'done'}])\n"
        "\n"
        "async def handle(event: dict) -> None:\n"
        "    if await seen(event['id']):\n"  # 15
        "        return\n"
        "    await mark(event['id'])\n"  # 17
    )
    [(line, message)] = _findings(source, "DAPR017")
    assert line == 17
    assert "line 15" in message


def test_raw_http_marker_with_first_write_options_is_quiet() -> None:
    source = (
        "import httpx\n"
        "\n"
        "BASE = 'http://localhost:3500'\n"
        "\n"
        "async def handle(http: httpx.AsyncClient, event_id: str) -> None:\n"
        "    response = await http.get(f'{BASE}/v1.0/state/statestore/{event_id}')\n"
        "    if response.text:\n"
        "        return\n"
        "    await http.post(f'{BASE}/v1.0/state/statestore', json=[{'key': event_id, "
        "'value': 'done', 'options': {'concurrency': 'first-write'}}])\n"
    )
    assert _lines(source, "DAPR017") == []


def test_an_update_after_an_existence_check_is_no_check_then_set() -> None:
    # The save runs only where the item exists: first-write would refuse it; its guard is the
    # ETag, and the saved value does not come from the read.
    source = (
        "from dapr.aio.clients import DaprClient\n"
        "\n"
        "async def replace(client: DaprClient, key: str, body: str) -> None:\n"
        "    existing = await client.get_state('store', key)\n"
        "    if not existing.data:\n"
        "        raise KeyError(key)\n"
        "    await client.save_state('store', key, body)\n"
    )
    assert _lines(source, "DAPR017") == []


def test_a_create_after_an_existence_check_is_check_then_set() -> None:
    source = (
        "from dapr.aio.clients import DaprClient\n"
        "\n"
        "async def create(client: DaprClient, key: str, body: str) -> None:\n"
        "    existing = await client.get_state('store', key)\n"
        "    if len(existing.data) > 0:\n"
        "        raise KeyError(key)\n"
        "    await client.save_state('store', key, body)\n"  # 7
    )
    assert _lines(source, "DAPR017") == [7]


# -- DAPR020: a CloudEvent model published as plain JSON -----------------------------------------


def test_an_imported_cloudevent_model_published_as_json_is_reported() -> None:
    source = (
        "from .schemas import CloudEvent\n"
        "\n"
        "class Publisher:\n"
        "    def __init__(self, client) -> None:\n"
        "        self._client = client\n"
        "\n"
        "    async def publish(self, topic: str, event: CloudEvent) -> None:\n"
        "        self._client.publish_event(\n"  # 8
        "            pubsub_name='pubsub', topic_name=topic,\n"
        "            data=event.model_dump_json(), data_content_type='application/json',\n"
        "        )\n"
    )
    assert _lines(source, "DAPR020") == [8]


def test_a_built_envelope_model_dumped_through_json_dumps() -> None:
    source = (
        "import json\n"
        "from .schemas import CloudEvent\n"
        "\n"
        "async def publish(client, order_id: str) -> None:\n"
        "    event = CloudEvent(id=order_id, source='orders', type='created', data={})\n"
        "    await client.publish_event('pubsub', 'orders', json.dumps(event.model_dump()))\n"
    )
    assert _lines(source, "DAPR020") == [6]


def test_a_payload_model_is_not_an_envelope() -> None:
    source = (
        "from .schemas import OrderCreated\n"
        "\n"
        "async def publish(client, event: OrderCreated) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', event.model_dump_json(), "
        "data_content_type='application/json')\n"
    )
    assert _lines(source, "DAPR020") == []


# -- DAPR019: a publish URL without the pubsub name -----------------------------------------------

_SIDECAR = "import requests\n\nDAPR = 'http://localhost:3500/v1.0'\n\n"


def test_a_publish_url_without_pubsub_says_404() -> None:
    source = _SIDECAR + (
        "def publish(body: dict) -> None:\n"
        "    url = f'{DAPR}/publish/orders'\n"
        "    requests.post(url, json=body).raise_for_status()\n"  # 7
    )
    [(line, message)] = _findings(source, "DAPR019")
    assert line == 7
    assert "404" in message


def test_a_publish_url_with_pubsub_and_topic_is_the_plain_finding() -> None:
    source = _SIDECAR + (
        "def publish(pubsub: str, body: dict) -> bool:\n"
        "    first = requests.post(f'{DAPR}/publish/{pubsub}/orders', json=body).ok\n"
        "    second = requests.post(f'{DAPR}/publish/{pubsub}', json=body).ok\n"
        "    return first and second\n"
    )
    messages = [message for _, message in _findings(source, "DAPR019")]
    assert len(messages) == 2
    assert not any("404" in message for message in messages)


@pytest.mark.parametrize(
    "check",
    [
        "    response.raise_for_status()\n",
        "    if response.status_code not in (200, 204):\n"
        "        raise HTTPException(status_code=502, detail='publish refused')\n",
        "    if response.ok:\n"
        "        log.info('sent')\n"
        "    else:\n"
        "        raise RuntimeError(response.text)\n",
    ],
)
def test_a_publish_whose_refusal_raises_is_not_reported(check: str) -> None:
    source = _SIDECAR + (
        "def publish(body: dict) -> None:\n"
        "    response = requests.post(f'{DAPR}/publish/pubsub/orders', json=body)\n" + check
    )
    assert _lines(source, "DAPR019") == []


def test_a_publish_whose_refusal_is_only_returned_is_reported() -> None:
    source = _SIDECAR + (
        "def publish(body: dict) -> bool:\n"
        "    response = requests.post(f'{DAPR}/publish/pubsub/orders', json=body)\n"  # 6
        "    if response.status_code != 204:\n"
        "        log.error('refused')\n"
        "        return False\n"
        "    return True\n"
    )
    assert _lines(source, "DAPR019") == [6]


# -- DAPR036: a publish or binding call whose failure nobody hears of ---------------------------


def test_a_discarded_publish_response_is_reported() -> None:
    source = _SIDECAR + (
        "def publish(body: dict) -> None:\n"
        "    requests.post(f'{DAPR}/publish/pubsub/orders', json=body)\n"  # 6
    )
    assert _lines(source, "DAPR036") == [6]


def test_a_status_only_printed_is_unchecked() -> None:
    source = _SIDECAR + (
        "for n in range(3):\n"
        "    response = requests.post(\n"  # 6
        "        url='%s/v1.0/publish/%s/%s' % (HOST, 'pubsub', 'orders'), json={'n': n}\n"
        "    )\n"
        "    print('published', n, response.status_code)\n"
    )
    assert _lines(source, "DAPR036") == [6]


def test_a_binding_response_returned_to_a_caller_that_drops_it() -> None:
    source = _SIDECAR + (
        "def insert(row: dict):\n"
        "    response = requests.post(f'{DAPR}/bindings/db', json={'operation': 'exec'})\n"  # 6
        "    return response\n"
        "\n"
        "def run(rows: list[dict]) -> None:\n"
        "    for row in rows:\n"
        "        insert(row)\n"
    )
    [(line, message)] = _findings(source, "DAPR036")
    assert line == 6
    assert "output-binding" in message


def test_checked_responses_are_quiet() -> None:
    source = _SIDECAR + (
        "def publish(body: dict) -> None:\n"
        "    response = requests.post(f'{DAPR}/publish/pubsub/orders', json=body)\n"
        "    if response.status_code != 204:\n"
        "        raise RuntimeError(response.text)\n"
        "\n"
        "def insert(row: dict):\n"
        "    return requests.post(f'{DAPR}/bindings/db', json=row)\n"
        "\n"
        "def run(row: dict) -> None:\n"
        "    insert(row).raise_for_status()\n"
    )
    assert _lines(source, "DAPR036") == []


def test_a_publish_failure_only_logged_in_a_function_returning_nothing() -> None:
    source = (
        "import logging\n"
        "\n"
        "import httpx\n"
        "\n"
        "async def publish(http: httpx.AsyncClient, url: str, event: dict) -> None:\n"
        "    try:\n"
        "        response = await http.post(f'{url}/v1.0/publish/pubsub/orders', json=event)\n"
        "        response.raise_for_status()\n"
        "    except httpx.HTTPError as error:\n"  # 9
        "        logging.warning('publish failed: %s', error)\n"
    )
    [(line, message)] = _findings(source, "DAPR036")
    assert line == 9
    assert "only logged" in message


def test_a_publish_failure_re_raised_or_answered_is_quiet() -> None:
    source = (
        "import logging\n"
        "\n"
        "async def publish(client, body: str) -> None:\n"
        "    try:\n"
        "        await client.publish_event('pubsub', 'orders', body)\n"
        "    except Exception:\n"
        "        logging.exception('publish failed')\n"
        "        raise\n"
        "\n"
        "async def other(client, body: str) -> None:\n"
        "    try:\n"
        "        await client.publish_event('pubsub', 'orders', body)\n"
        "    except KeyError:\n"
        "        logging.exception('not a send error')\n"
    )
    assert _lines(source, "DAPR036") == []
