"""Realistic code the Dapr rules must stay quiet on, beside the near misses they still report.

Each case comes from a false finding on public Dapr code: a project's own `publish_event`, a
sidecar default that is only printed, a one-shot script, a keep-alive loop, a handler that only
logs. The reported twin of each quiet case keeps the rule from going quiet altogether.
"""

from __future__ import annotations

import pytest

from tools.validate.engine import analyze
from tools.validate.fixes import fix_source

# Assembled so that this file itself holds no sidecar address for the gate to report.
_HOST = "localhost"
_HTTP = f"http://{_HOST}:3500"
_GRPC = f"{_HOST}:50001"


def _found(source: str, rule: str) -> list[tuple[int, int]]:
    return [
        (d.line, d.column) for d in analyze("app/service.py", source).diagnostics if d.rule == rule
    ]


def _messages(source: str, rule: str) -> list[str]:
    return [d.message for d in analyze("app/service.py", source).diagnostics if d.rule == rule]


# -- DAPR009: only a real Dapr client's publish_event ----------------------------------------------

_WRAPPER = (
    "import json\n"
    "\n"
    "class EventBus:\n"
    "    def __init__(self, client) -> None:\n"
    "        self._client = client\n"
    "\n"
    "    def publish_event(self, topic: str, data: dict) -> None:\n"
    "        self._client.publish_event('pubsub', topic, json.dumps(data), "
    "data_content_type='application/json')\n"
    "\n"
    "def announce(bus: EventBus, order_id: str) -> None:\n"
    "    bus.publish_event('orders', {'id': order_id})\n"
)


def test_a_project_wrapper_is_neither_reported_nor_rewritten() -> None:
    assert _found(_WRAPPER, "DAPR009") == []
    assert fix_source("app/service.py", _WRAPPER).source == _WRAPPER


@pytest.mark.parametrize(
    "publisher",
    [
        "def send(client, body: str) -> None:\n    client.publish_event('p', 't', body)\n",
        "def send(app, body: str) -> None:\n    app.state.dapr.publish_event('p', 't', body)\n",
        # Text that is not JSON: text/plain is what it is.
        "from dapr.clients import DaprClient\n\n"
        "def send(client: DaprClient, n: int) -> None:\n"
        "    client.publish_event('p', 't', f'order {n} shipped')\n",
    ],
)
def test_unresolved_receivers_and_plain_text_are_quiet(publisher: str) -> None:
    assert _found(publisher, "DAPR009") == []


@pytest.mark.parametrize(
    ("publisher", "position"),
    [
        (
            "from dapr.clients import DaprClient\n\n"
            "def send(body: str) -> None:\n"
            "    with DaprClient() as client:\n"
            "        client.publish_event('p', 't', body)\n",
            (5, 9),
        ),
        (
            "from dapr.aio.clients import DaprClient\n\n"
            "async def send(body: str) -> None:\n"
            "    async with DaprClient() as client:\n"
            "        await client.publish_event('p', 't', body)\n",
            (5, 15),
        ),
        (
            "from dapr.clients import DaprClient\n\n"
            "def send(body: str) -> None:\n"
            "    DaprClient().publish_event('p', 't', body)\n",
            (4, 5),
        ),
        (
            "import json\nfrom dapr.clients import DaprClient\n\n"
            "if __name__ == '__main__':\n"
            "    with DaprClient() as client:\n"
            "        client.publish_event('p', 't', json.dumps({'id': 1}))\n",
            (6, 9),
        ),
        (
            "from dapr.aio.clients import DaprClient\n\n"
            "class Events:\n"
            "    def __init__(self) -> None:\n"
            "        self._dapr = None\n\n"
            "    async def start(self) -> None:\n"
            "        self._dapr = DaprClient()\n\n"
            "    async def publish(self, body: str) -> None:\n"
            "        await self._dapr.publish_event('p', 't', body)\n",
            (11, 15),
        ),
        (
            "from dapr.clients import DaprClient\n\n"
            "def send(client: DaprClient) -> None:\n"
            "    client.publish_event('p', 't', '{\"id\": 1}')\n",
            (4, 5),
        ),
        (
            "from typing import Annotated\n"
            "from dapr.aio.clients import DaprClient\n"
            "from fastapi import Depends, Request\n\n"
            "def get_dapr(request: Request) -> DaprClient:\n"
            "    return request.app.state.dapr\n\n"
            "Dapr = Annotated[DaprClient, Depends(get_dapr)]\n\n"
            "async def send(dapr: Dapr, body: str) -> None:\n"
            "    await dapr.publish_event('p', 't', body)\n",
            (11, 11),
        ),
    ],
)
def test_real_clients_are_reported(publisher: str, position: tuple[int, int]) -> None:
    assert _found(publisher, "DAPR009") == [position]


def test_the_fix_touches_the_client_and_not_the_wrapper_beside_it() -> None:
    source = (
        "from dapr.aio.clients import DaprClient\n\n"
        "class Bus:\n"
        "    async def publish_event(self, topic: str, body: str) -> None: ...\n\n"
        "async def send(bus: Bus, dapr: DaprClient, body: str) -> None:\n"
        "    await bus.publish_event('orders', body)\n"
        "    await dapr.publish_event('pubsub', 'orders', body)\n"
    )
    fixed = fix_source("app/service.py", source).source.splitlines()
    assert fixed[6] == "    await bus.publish_event('orders', body)"
    assert fixed[7].endswith('body, data_content_type="application/json")')


# -- DAPR013: only an address that reaches the sidecar ---------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        # The environment wins; the literal is Dapr's own default.
        "import os\nimport requests\n\n"
        f"BASE = os.getenv('DAPR_HTTP_ENDPOINT', '{_HTTP}')\n\n"
        "def send() -> None:\n"
        "    requests.post(f'{BASE}/v1.0/invoke/orders/method/new', json={}, timeout=5)\n",
        f"import os\n\nos.environ.setdefault('DAPR_GRPC_ENDPOINT', '{_GRPC}')\n",
        # Printed, logged or offered as help: no Dapr traffic.
        f"import logging\n\ndef hint() -> None:\n    logging.info('start daprd on {_GRPC}')\n",
        "import argparse\n\n"
        "def parse() -> argparse.Namespace:\n"
        "    parser = argparse.ArgumentParser()\n"
        f"    parser.add_argument('--sidecar', help='e.g. {_GRPC}')\n"
        "    return parser.parse_args()\n",
        # A module constant of another purpose that this file reads itself, only to print it.
        f"DEFAULT_ADDRESS = '{_GRPC}'\n\ndef show() -> None:\n    print(DEFAULT_ADDRESS)\n",
        # A port that is only printed.
        "DAPR_HTTP_PORT = 3500\n\ndef show() -> None:\n"
        "    print(f'run: dapr run --dapr-http-port {DAPR_HTTP_PORT}')\n",
        # An HTTP call that is not to the Dapr API.
        "import requests\n\ndef ping() -> int:\n"
        f"    return requests.get('{_HTTP}/health', timeout=5).status_code\n",
    ],
)
def test_addresses_that_reach_no_sidecar_are_quiet(source: str) -> None:
    assert _found(source, "DAPR013") == []


@pytest.mark.parametrize(
    ("source", "position"),
    [
        (
            f"import requests\n\nBASE = '{_HTTP}'\n\n"
            "def save(state: list) -> None:\n"
            "    requests.post('%s/v1.0/state/statestore' % BASE, json=state, timeout=5)\n",
            (3, 8),
        ),
        (
            "import requests\n\n"
            "def get(key: str) -> bytes:\n"
            f"    url = '{_HTTP}/v1.0/state/{{}}/{{}}'.format('statestore', key)\n"
            "    return requests.get(url, timeout=5).content\n",
            (4, 11),
        ),
        (
            "import httpx\n\n"
            f"client = httpx.AsyncClient(base_url='{_HTTP}')\n\n"
            "async def save(state: list) -> None:\n"
            "    await client.post('/v1.0/state/statestore', json=state)\n",
            (3, 37),
        ),
        (
            "from dapr.clients import DaprClient\n\n"
            f"ADDRESS = '{_GRPC}'\n\n"
            "def make() -> DaprClient:\n    return DaprClient(ADDRESS)\n",
            (3, 11),
        ),
        (
            f"import os\n\nos.environ.update(DAPR_HTTP_ENDPOINT='{_HTTP}')\n",
            (3, 38),
        ),
        (
            "import requests\n\nDAPR_HTTP_PORT = 3500\n\n"
            "def get(key: str) -> bytes:\n"
            f"    url = f'http://{_HOST}:{{DAPR_HTTP_PORT}}/v1.0/state/statestore/{{key}}'\n"
            "    return requests.get(url, timeout=5).content\n",
            (3, 1),
        ),
    ],
)
def test_addresses_that_reach_the_sidecar_are_reported(
    source: str, position: tuple[int, int]
) -> None:
    assert _found(source, "DAPR013") == [position]


# -- DAPR015 and DAPR001: one-shot scripts ---------------------------------------------------------

_SCRIPT = (
    "import asyncio\n"
    "from dapr.aio.clients import DaprClient\n"
    "\n"
    "async def main() -> None:\n"
    "    async with DaprClient() as client:\n"
    "        await client.save_state('statestore', 'k', 'v')\n"
    "\n"
    "asyncio.run(main())\n"
)


def test_a_one_shot_script_does_not_wait_for_the_sidecar_first() -> None:
    assert _found(_SCRIPT, "DAPR015") == []
    guarded = _SCRIPT.replace(
        "asyncio.run(main())", "if __name__ == '__main__':\n    asyncio.run(main())"
    )
    assert _found(guarded, "DAPR015") == []


def test_a_script_whose_coroutines_a_framework_registers_is_no_one_shot() -> None:
    # An agent's tools: the `__main__` block is a demo, the tools run on the agent's loop.
    source = (
        "import asyncio\n"
        "from dapr.aio.clients import DaprClient\n"
        "from agents import tool\n"
        "\n"
        "@tool\n"
        "async def remember(key: str) -> None:\n"
        "    async with DaprClient() as client:\n"
        "        await client.save_state('statestore', key, 'v')\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(remember('k'))\n"
    )
    assert _found(source, "DAPR015") == [(7, 16)]
    sync = source.replace("dapr.aio.clients", "dapr.clients").replace("async with", "with")
    assert _found(sync.replace("await client", "client"), "DAPR001") == [(2, 26)]


# -- DAPR001: the synchronous client only where it blocks a loop -----------------------------------

_SERVICE_HEAD = (
    "import asyncio\n"  # 1
    "from dapr.clients import DaprClient\n"  # 2
    "from fastapi import FastAPI\n"  # 3
    "\n"  # 4
    "app = FastAPI()\n"  # 5
    "client = DaprClient()\n"  # 6
    "\n"  # 7
)


@pytest.mark.parametrize(
    "route",
    [
        "@app.post('/orders')\ndef create(order_id: str) -> dict:\n"
        "    client.save_state('statestore', order_id, 'new')\n    return {}\n",
        "@app.post('/orders')\nasync def create(order_id: str) -> dict:\n"
        "    await asyncio.to_thread(client.save_state, 'statestore', order_id, 'new')\n"
        "    return {}\n",
        "@app.post('/orders')\nasync def create(order_id: str) -> dict:\n"
        "    loop = asyncio.get_running_loop()\n"
        "    await loop.run_in_executor(None, lambda: client.save_state('s', order_id, 'new'))\n"
        "    return {}\n",
    ],
)
def test_sync_code_and_worker_threads_may_use_the_sync_client(route: str) -> None:
    assert _found(_SERVICE_HEAD + route, "DAPR001") == []


def test_an_import_nothing_uses_is_quiet() -> None:
    source = (
        "from dapr.clients import DaprClient  # noqa: F401\n\n"
        "async def ping() -> int:\n    return 1\n"
    )
    assert _found(source, "DAPR001") == []


def test_a_call_in_async_def_is_reported_once_at_the_import_and_not_by_dapr004() -> None:
    route = (
        "@app.post('/orders')\nasync def create(order_id: str) -> dict:\n"  # 8, 9
        "    client.save_state('statestore', order_id, 'new')\n    return {}\n"  # 10
    )
    report = analyze("app/service.py", _SERVICE_HEAD + route).diagnostics
    assert [(d.rule, d.line, d.column) for d in report if d.rule in ("DAPR001", "DAPR004")] == [
        ("DAPR001", 2, 26)
    ]
    [message] = _messages(_SERVICE_HEAD + route, "DAPR001")
    assert "`async def create` (line 10)" in message


def test_a_wrapper_holding_the_sync_client_is_seen_through_self() -> None:
    source = (
        "from dapr.clients import DaprClient\n\n"
        "class Store:\n"
        "    client: DaprClient\n\n"
        "    async def get(self, key: str) -> bytes:\n"
        "        return self.client.get_state('statestore', key).data\n"
    )
    assert _found(source, "DAPR001") == [(1, 26)]
    assert _found(source.replace("async def", "def"), "DAPR001") == []


# -- DAPR003: loops that schedule no work ----------------------------------------------------------


@pytest.mark.parametrize(
    "loop",
    [
        "def serve(close) -> None:\n    try:\n        while True:\n            time.sleep(1)\n"
        "    finally:\n        close()\n",
        "async def keep_alive() -> None:\n    while True:\n        await asyncio.sleep(3600)\n",
        "async def wait(stop) -> None:\n    while not stop.is_set():\n"
        "        await asyncio.sleep(0.5)\n",
        "async def acquire(lock) -> bool:\n    while True:\n"
        "        if await lock.try_acquire():\n            return True\n"
        "        await asyncio.sleep(0.1)\n",
    ],
)
def test_keep_alive_loops_and_waits_are_quiet(loop: str) -> None:
    source = (
        "import asyncio\nimport time\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n" + loop
    )
    assert _found(source, "DAPR003") == []


_GENERATOR = (
    "import time\n"  # 1
    "import requests\n"  # 2
    "\n"  # 3
    "n = 0\n"  # 4
    "while True:\n"  # 5
    "    n += 1\n"
    "    requests.post('http://orders/neworder', json={'id': n}, timeout=5)\n"
    "    time.sleep(1)\n"
)


def test_a_load_generator_is_quiet_unless_its_file_serves_an_app() -> None:
    assert _found(_GENERATOR, "DAPR003") == []
    served = "from fastapi import FastAPI\n" + _GENERATOR + "app = FastAPI()\n"
    assert _found(served, "DAPR003") == [(6, 1)]


def test_a_scheduler_library_counts_where_it_is_used() -> None:
    assert _found("from croniter import croniter  # noqa: F401\n", "DAPR003") == []
    used = "from croniter import croniter\n\nNEXT = croniter('*/5 * * * *').get_next()\n"
    assert _found(used, "DAPR003") == [(1, 1)]


# -- DAPR007: validation through a helper, echoing through json.dumps ------------------------------

_HANDLER_HEAD = (
    "import json\n"  # 1
    "import logging\n"  # 2
    "from fastapi import FastAPI, Request\n"  # 3
    "from pydantic import BaseModel\n"  # 4
    "\n"  # 5
    "class Order(BaseModel):\n"  # 6
    "    id: str\n"  # 7
    "\n"  # 8
    "app = FastAPI()\n"  # 9
    "\n"  # 10
)


def test_a_helper_that_validates_quiets_the_handler_and_one_that_does_not_does_not() -> None:
    body = (
        "def parse(data: dict) -> Order:\n"  # 11
        "    return Order.model_validate(data)\n"  # 12
        "\n"
        "@app.post('/job/cleanup')\n"  # 14
        "async def cleanup(request: Request) -> dict:\n"  # 15
        "    data = await request.json()\n"  # 16
        "    order = parse(data)\n"  # 17
        "    purge(data['days'])\n"  # 18
        "    return {'id': order.id}\n"
    )
    assert _found(_HANDLER_HEAD + body, "DAPR007") == []
    unvalidated = body.replace("Order.model_validate(data)", "dict(data)")
    assert _found(_HANDLER_HEAD + unvalidated, "DAPR007") == [(18, 11)]


def test_logging_the_payload_as_json_text_reads_no_field() -> None:
    body = (
        "@app.post('/job/audit')\n"  # 11
        "async def audit(body: dict) -> dict:\n"  # 12
        "    logging.info('job %s', json.dumps(body, indent=2))\n"
        "    print(str(body))\n"
        "    return {}\n"
    )
    assert _found(_HANDLER_HEAD + body, "DAPR007") == []
    reading = body.replace("print(str(body))", "purge(str(body['id']))")
    assert _found(_HANDLER_HEAD + reading, "DAPR007") == [(14, 15)]


def test_a_wait_in_a_helper_counts_only_when_awaited_before_the_client() -> None:
    source = (
        "from contextlib import asynccontextmanager\n"  # 1
        "from dapr.aio.clients import DaprClient\n"  # 2
        "from dapr.aio.clients.health import DaprHealth\n"  # 3
        "\n"
        "@asynccontextmanager\n"  # 5
        "async def lifespan(app):\n"  # 6
        "    await ready()\n"  # 7
        "    async with DaprClient() as client:\n"  # 8
        "        app.state.dapr = client\n"
        "        yield\n"
        "\n"
        "async def ready() -> None:\n"
        "    await DaprHealth.wait_for_sidecar()\n"
    )
    assert _found(source, "DAPR015") == []
    late = source.replace("    await ready()\n", "").replace(
        "        yield\n", "        await ready()\n        yield\n"
    )
    assert _found(late, "DAPR015") == [(7, 16)]
