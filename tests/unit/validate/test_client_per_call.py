"""DAPR008: a client built per request, activity run, tool call, method call or loop pass."""

from __future__ import annotations

import pytest

from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.engine import analyze


def _findings(source: str, path: str = "app/service.py") -> list[tuple[int, str]]:
    return [(d.line, d.message) for d in analyze(path, source).diagnostics if d.rule == "DAPR008"]


def _lines(source: str, path: str = "app/service.py") -> list[int]:
    return [line for line, _ in _findings(source, path)]


# -- what runs per event -------------------------------------------------------------------------


def test_a_workflow_client_per_request_leaves_a_channel_open() -> None:
    source = (
        "from dapr.ext.workflow import DaprWorkflowClient\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.post('/start')\n"
        "def start() -> dict:\n"
        "    client = DaprWorkflowClient()\n"  # 8
        "    return {'id': client.schedule_new_workflow('order')}\n"
    )
    [(line, message)] = _findings(source)
    assert line == 8
    assert "DaprWorkflowClient created inside the handler `start`, one per request" in message
    assert "gRPC channel to the sidecar that nothing closes" in message


def test_a_sync_flask_handler_with_a_client_block_pays_the_health_probe() -> None:
    source = (
        "from dapr.clients import DaprClient\n"
        "from flask import Flask\n\n"
        "app = Flask(__name__)\n\n"
        "@app.route('/orders', methods=['POST'])\n"
        "def create() -> str:\n"
        "    with DaprClient() as client:\n"  # 8
        "        client.save_state('statestore', 'k', 'v')\n"
        "    return 'ok'\n"
    )
    [(line, message)] = _findings(source)
    assert line == 8
    assert "health probe of the sidecar (up to DAPR_HEALTH_TIMEOUT" in message


@pytest.mark.parametrize(
    ("registration", "definition"),
    [
        (
            "runtime = wf.WorkflowRuntime()\n\n@runtime.activity(name='pay')\n",
            "def pay(ctx, order):",
        ),
        ("runtime = wf.WorkflowRuntime()\n\n@runtime.activity\n", "def pay(ctx, order):"),
        ("", "def pay(ctx: wf.WorkflowActivityContext, order: dict):"),
        (
            "def flow(ctx, order):\n    yield ctx.call_activity(pay, input=order)\n\n",
            "def pay(_, order):",
        ),
    ],
    ids=["decorator-with-name", "bare-decorator", "annotated-context", "called-by-a-workflow"],
)
def test_a_client_per_activity_run(registration: str, definition: str) -> None:
    source = (
        "import dapr.ext.workflow as wf\n"
        "from dapr.clients import DaprClient\n\n"
        f"{registration}"
        f"{definition}\n"
        "    with DaprClient() as client:\n"
        "        client.invoke_method('payments', 'charge', data='{}')\n"
    )
    [(_, message)] = _findings(source)
    assert "inside the workflow activity `pay`, one per activity run" in message


def test_an_activity_registered_on_the_runtime_elsewhere_in_the_file() -> None:
    source = (
        "import dapr.ext.workflow as wf\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "async def reserve(ctx, sku: str) -> None:\n"
        "    async with DaprClient() as client:\n"  # 5
        "        await client.save_state('statestore', sku, 'held')\n\n"
        "runtime = wf.WorkflowRuntime()\n"
        "runtime.register_activity(reserve)\n"
    )
    assert _lines(source) == [5]


def test_a_client_per_agent_tool_call() -> None:
    source = (
        "from dapr.aio.clients import DaprClient\n"
        "from dapr_agents import tool\n\n"
        "@tool\n"
        "async def remember(key: str, value: str) -> str:\n"
        "    async with DaprClient() as client:\n"  # 6
        "        await client.save_state('memory', key, value)\n"
        "    return 'saved'\n"
    )
    [(line, message)] = _findings(source)
    assert line == 6
    assert "the agent tool `remember`, one per tool call" in message


def test_methods_of_a_class_build_one_client_per_call() -> None:
    source = (
        "from dapr.aio.clients import DaprClient\n\n"
        "class Memory:\n"
        "    def _key(self, key: str) -> str:\n"
        "        return f'memory:{key}'\n\n"
        "    async def _client(self) -> DaprClient:\n"  # a factory: judged where it is used
        "        return DaprClient()\n\n"
        "    async def recall(self, key: str) -> bytes:\n"
        "        async with DaprClient() as client:\n"  # 11
        "            return (await client.get_state('memory', self._key(key))).data\n\n"
        "    async def forget(self, key: str) -> None:\n"
        "        async with await self._client() as client:\n"
        "            await client.delete_state('memory', self._key(key))\n"
    )
    found = _findings(source)
    assert [line for line, _ in found] == [8, 11]
    assert "`_client`, which the method `forget` calls, one per call" in found[0][1]
    assert "the method `recall`, one per call" in found[1][1]


def test_a_client_per_pass_of_a_retry_loop() -> None:
    source = (
        "import asyncio\n\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "class Lock:\n"
        "    async def acquire(self, resource: str) -> bool:\n"
        "        while True:\n"
        "            async with DaprClient() as client:\n"  # 8
        "                if (await client.try_lock('locks', resource, 'me', 30)).success:\n"
        "                    return True\n"
        "            await asyncio.sleep(0.1)\n"
    )
    [(line, message)] = _findings(source)
    assert line == 8
    assert "inside a loop in `acquire`, one per pass" in message


def test_module_functions_that_serve_an_operation() -> None:
    source = (
        "import httpx\n\n"
        "async def _fetch_title(task_id: str) -> str:\n"
        "    async with httpx.AsyncClient() as http:\n"  # 4: a helper of handle_task
        "        return (await http.get(f'http://tasks/{task_id}')).text\n\n"
        "async def handle_task(event: dict) -> None:\n"
        "    title = await _fetch_title(event['id'])\n"
        "    async with httpx.AsyncClient() as http:\n"  # 9: named as an event handler
        "        await http.post('http://mail/send', json={'title': title})\n"
    )
    found = _findings(source)
    assert [line for line, _ in found] == [4, 9]
    assert "new connection pool and reuses no connection" in found[0][1]


def test_a_function_of_a_service_module_runs_per_request() -> None:
    source = (
        "from dapr.aio.clients import DaprClient\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "async def get_secret(name: str) -> str:\n"
        "    async with DaprClient() as client:\n"  # 7
        "        return (await client.get_secret('vault', name)).secret[name]\n"
    )
    assert _lines(source) == [7]


def test_requests_and_httpx_sessions_per_request() -> None:
    source = (
        "import httpx\n"
        "import requests\n"
        "from flask import Flask\n\n"
        "app = Flask(__name__)\n\n"
        "@app.get('/rates')\n"
        "def rates() -> str:\n"
        "    with requests.Session() as http:\n"  # 9
        "        first = http.get('https://rates.example/a', timeout=5).text\n"
        "    with httpx.Client() as http:\n"  # 11
        "        return first + http.get('https://rates.example/b').text\n"
    )
    assert _lines(source) == [9, 11]


# -- what runs once ------------------------------------------------------------------------------


def test_a_lone_function_of_a_library_module_is_left_to_its_callers() -> None:
    source = (
        "from dapr.clients import DaprClient\n\n"
        "def archive(body: str) -> None:\n"
        "    with DaprClient() as client:\n"
        "        client.save_state('statestore', 'archive', body)\n"
    )
    assert _findings(source) == []


@pytest.mark.parametrize("name", ["publish", "send_reminder", "schedule_job", "notify_owner"])
def test_a_function_named_for_one_operation_runs_per_operation(name: str) -> None:
    source = (
        "from dapr.clients import DaprClient\n\n"
        f"def {name}(body: str) -> None:\n"
        "    with DaprClient() as client:\n"
        "        client.publish_event('pubsub', 'orders', body, data_content_type='text/plain')\n"
    )
    assert _lines(source) == [4]


@pytest.mark.parametrize(
    "runner",
    [
        "if __name__ == '__main__':\n    catch_up()\n",
        "import asyncio\n\nasyncio.run(catch_up())\n",
        "import threading\n\nthreading.Thread(target=catch_up, daemon=True).start()\n",
    ],
    ids=["main-guard", "asyncio-run", "thread-target"],
)
def test_what_module_level_code_runs_builds_its_client_once(runner: str) -> None:
    source = (
        "from dapr.aio.clients import DaprClient\n\n"
        "async def schedule() -> None:\n"
        "    async with DaprClient() as client:\n"
        "        await client.save_state('statestore', 'k', 'v')\n\n"
        "async def catch_up() -> None:\n"
        "    for _ in range(3):\n"
        "        async with DaprClient() as client:\n"
        "            await client.save_state('statestore', 'k', 'v')\n"
        "    await schedule()\n\n"
        f"{runner}"
    )
    assert _findings(source) == []


def test_lifecycle_methods_and_what_only_they_call_are_quiet() -> None:
    source = (
        "from dapr.aio.clients import DaprClient\n\n"
        "class Service:\n"
        "    async def start(self) -> None:\n"
        "        await self._warm_up()\n\n"
        "    async def _warm_up(self) -> None:\n"
        "        async with DaprClient() as client:\n"
        "            await client.get_metadata()\n\n"
        "    async def __aenter__(self) -> 'Service':\n"
        "        self._client = DaprClient()\n"
        "        return self\n"
    )
    assert _findings(source) == []


def test_a_worker_whose_one_client_serves_its_loop_is_quiet() -> None:
    source = (
        "import asyncio\n\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "class Poller:\n"
        "    async def poll(self) -> None:\n"
        "        async with DaprClient() as client:\n"
        "            while True:\n"
        "                await client.get_state('statestore', 'cursor')\n"
        "                await asyncio.sleep(5)\n"
    )
    assert _findings(source) == []


def test_singletons_and_cached_factories_are_quiet() -> None:
    source = (
        "from functools import lru_cache\n\n"
        "import httpx\n"
        "from dapr.aio.clients import DaprClient\n"
        "from fastapi import Depends, FastAPI\n\n"
        "app = FastAPI()\n"
        "_client: DaprClient | None = None\n\n"
        "def dapr() -> DaprClient:\n"
        "    global _client\n"
        "    if _client is None:\n"
        "        _client = DaprClient()\n"
        "    return _client\n\n"
        "@lru_cache\n"
        "def http() -> httpx.AsyncClient:\n"
        "    return httpx.AsyncClient()\n\n"
        "@app.get('/orders')\n"
        "async def orders(client: httpx.AsyncClient = Depends(http)) -> dict:\n"
        "    await dapr().get_state('statestore', 'orders')\n"
        "    return {}\n"
    )
    assert _findings(source) == []


def test_an_uncached_factory_dependency_still_builds_one_per_request() -> None:
    source = (
        "from dapr.aio.clients import DaprClient\n"
        "from fastapi import Depends, FastAPI\n\n"
        "app = FastAPI()\n\n"
        "def dapr() -> DaprClient:\n"
        "    return DaprClient()\n\n"  # 7
        "@app.get('/orders')\n"
        "async def orders(client: DaprClient = Depends(dapr)) -> dict:\n"
        "    return {}\n"
    )
    [(line, message)] = _findings(source)
    assert line == 7
    assert "the request dependency `dapr`, one per request" in message


def test_test_files_are_quiet() -> None:
    source = (
        "from dapr.clients import DaprClient\n\n"
        "class TestOrders:\n"
        "    def test_save(self) -> None:\n"
        "        with DaprClient() as client:\n"
        "            client.save_state('statestore', 'k', 'v')\n"
    )
    assert _findings(source, "app/service.py") != []
    assert _findings(source, "tests/test_orders.py") == []


# -- the project's own wrappers, built per event (tools/validate/kept_clients.py) ---------------

_WRAPPERS = (
    "from dapr.clients import DaprClient\n\n"
    "class TokenStore:\n"
    "    def __init__(self) -> None:\n"
    "        self.client = DaprClient()\n\n"
    "class Drive:\n"
    "    def __init__(self, tokens: TokenStore | None = None) -> None:\n"
    "        self.tokens = tokens or TokenStore()\n"
)


def _wrapper_findings(activity: str) -> list[tuple[str, int, str]]:
    changes = [
        FileChange(path="app/wrappers.py", content=_WRAPPERS),
        FileChange(
            path="app/activities.py",
            content="from app.wrappers import Drive, TokenStore\n\n" + activity,
        ),
        FileChange(
            path="app/worker.py",
            content=(
                "from dapr.ext.workflow import WorkflowRuntime\n\n"
                "from app.activities import sync_drive\n\n"
                "runtime = WorkflowRuntime()\n"
                "runtime.register_activity(sync_drive)\n"
            ),
        ),
    ]
    # A suppression comment the change itself adds is trusted here, as in a project's own checkout.
    report = check_changes(changes, trust_suppressions=True)
    return [(d.path, d.line, d.message) for d in report.diagnostics if d.rule == "DAPR008"]


def test_a_wrapper_of_a_wrapper_built_by_an_activity_registered_in_another_module() -> None:
    [(path, line, message)] = _wrapper_findings(
        "def sync_drive(ctx, folder: str) -> None:\n    Drive()\n"
    )
    assert (path, line) == ("app/activities.py", 4)
    assert message.startswith(
        "`Drive()` builds a TokenStore, which builds a DaprClient (app/wrappers.py:5) inside "
        "the workflow activity `sync_drive` (registered in app/worker.py)"
    )


def test_a_wrapper_handed_its_client_or_silenced_at_the_construction_is_quiet() -> None:
    handed = "def sync_drive(ctx, folder: str) -> None:\n    Drive(tokens=TOKENS)\n"
    assert _wrapper_findings("TOKENS = TokenStore()\n\n" + handed) == []
    silenced = "def sync_drive(ctx, folder: str) -> None:\n    Drive()  # noqa: DAPR008\n"
    assert _wrapper_findings(silenced) == []


def test_a_wrapper_built_by_a_function_the_activity_calls_in_another_module() -> None:
    # The activity module only calls; the helper module builds the wrapper.
    activity = (
        "from app.helpers import open_drive\n\n"
        "def sync_drive(ctx, folder: str) -> None:\n    open_drive(folder)\n"
    )
    changes = [
        FileChange(path="app/wrappers.py", content=_WRAPPERS),
        FileChange(
            path="app/helpers.py",
            content=(
                "from app.wrappers import Drive\n\n"
                "def open_drive(folder: str) -> str:\n"
                "    drive = Drive()\n"  # 4
                "    return f'{folder}:{drive.tokens}'\n"
            ),
        ),
        FileChange(path="app/activities.py", content=activity),
        FileChange(
            path="app/worker.py",
            content=(
                "from dapr.ext.workflow import WorkflowRuntime\n\n"
                "from app.activities import sync_drive\n\n"
                "runtime = WorkflowRuntime()\n"
                "runtime.register_activity(sync_drive)\n"
            ),
        ),
    ]
    found = [
        (d.path, d.line, d.message)
        for d in check_changes(changes).diagnostics
        if d.rule == "DAPR008"
    ]
    [(path, line, message)] = found
    assert (path, line) == ("app/helpers.py", 4)
    assert "inside `open_drive`, which the workflow activity `sync_drive`" in message


def test_a_singleton_wrapper_built_per_activity_run_builds_nothing_new() -> None:
    singleton = (
        "class Singleton(type):\n"
        "    _instances: dict[type, object] = {}\n\n"
        "    def __call__(cls, *args, **kwargs):\n"
        "        if cls not in cls._instances:\n"
        "            cls._instances[cls] = super().__call__(*args, **kwargs)\n"
        "        return cls._instances[cls]\n\n"
        "class Shared(metaclass=Singleton):\n"
        "    def __init__(self) -> None:\n"
        "        self.tokens = TokenStore()\n\n"
        "def sync_drive(ctx, folder: str) -> None:\n    Shared()\n"
    )
    assert _wrapper_findings(singleton) == []
    # The same class without its metaclass is one more TokenStore, and DaprClient, per run.
    [(_, line, _)] = _wrapper_findings(singleton.replace("(metaclass=Singleton)", ""))
    assert line == 16


def test_a_client_built_by_a_helper_module_that_an_activity_calls_per_run() -> None:
    helper = (
        "from dapr.clients import DaprClient\n\n"
        "def seed_inventory(sku: str) -> None:\n"
        "    with DaprClient() as client:\n"  # 4
        "        client.save_state('statestore', sku, '0')\n"
    )
    worker = (
        "import dapr.ext.workflow as wf\n\n"
        "from app import inventory\n\n"
        "runtime = wf.WorkflowRuntime()\n\n"
        "@runtime.activity(name='restock')\n"
        "def restock(ctx: wf.WorkflowActivityContext, sku: str) -> None:\n"
        "    inventory.seed_inventory(sku)\n"
    )
    changes = [
        FileChange(path="app/inventory.py", content=helper),
        FileChange(path="app/worker.py", content=worker),
    ]
    [finding] = [d for d in check_changes(changes).diagnostics if d.rule == "DAPR008"]
    assert (finding.path, finding.line) == ("app/inventory.py", 4)
    assert finding.message.startswith(
        "DaprClient created inside `seed_inventory`, which the workflow activity `restock` calls"
    )
    # Called only by the worker's `main`, it runs once: nothing to report.
    once = worker.replace(
        "@runtime.activity(name='restock')\n"
        "def restock(ctx: wf.WorkflowActivityContext, sku: str) -> None:\n",
        "def main() -> None:\n    sku = 'a'\n",
    )
    changes[1] = FileChange(path="app/worker.py", content=once)
    assert [d for d in check_changes(changes).diagnostics if d.rule == "DAPR008"] == []
