"""DAPR004 beyond the direct call: the synchronous workflow client, and plain helpers that block."""

from __future__ import annotations

from pathlib import Path

from tests.unit.validate.test_corpus import CORPUS, _expected
from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.engine import analyze
from tools.validate.tree import check_tree

_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"  # lines 1-3


def _findings(source: str, rule: str = "DAPR004") -> list[tuple[int, int, str]]:
    return [
        (d.line, d.column, d.message)
        for d in analyze("app/service.py", source).diagnostics
        if d.rule == rule
    ]


def _lines(source: str, rule: str = "DAPR004") -> list[int]:
    return [line for line, _, _ in _findings(source, rule)]


def test_sync_workflow_client_calls_are_reported_at_each_call() -> None:
    source = _APP + (
        "import dapr.ext.workflow as wf\n"  # 4
        "\n"
        "@app.post('/start')\n"
        "async def start(order_id: str) -> str:\n"  # 7
        "    client = wf.DaprWorkflowClient()\n"  # 8: only opens a lazy channel
        "    instance = client.schedule_new_workflow(workflow='order', input=order_id)\n"  # 9
        "    client.wait_for_workflow_start(instance)\n"  # 10
        "    return instance\n"
    )
    found = _findings(source)
    assert [(line, column) for line, column, _ in found] == [(9, 16), (10, 5)]
    assert "`schedule_new_workflow()` on the synchronous DaprWorkflowClient" in found[0][2]
    assert "async def start" in found[0][2]


def test_workflow_client_held_by_a_class_and_imported_by_name() -> None:
    source = _APP + (
        "from dapr.ext.workflow import DaprWorkflowClient\n"  # 4
        "\n"
        "class Orders:\n"
        "    def __init__(self) -> None:\n"
        "        self.workflows = DaprWorkflowClient()\n"
        "\n"
        "    async def status(self, instance_id: str) -> object:\n"  # 10
        "        return self.workflows.get_workflow_state(instance_id)\n"  # 11
    )
    assert _lines(source) == [11]


def test_the_async_workflow_client_is_quiet() -> None:
    source = _APP + (
        "from dapr.ext.workflow.aio import DaprWorkflowClient\n"
        "\n"
        "@app.post('/start')\n"
        "async def start(order_id: str) -> str:\n"
        "    client = DaprWorkflowClient()\n"
        "    return await client.schedule_new_workflow(workflow='order', input=order_id)\n"
    )
    assert _findings(source) == []


def test_a_sync_workflow_route_is_quiet() -> None:
    source = _APP + (
        "import dapr.ext.workflow as wf\n"
        "\n"
        "client = wf.DaprWorkflowClient()\n"
        "\n"
        "@app.post('/start')\n"
        "def start(order_id: str) -> str:\n"
        "    return client.schedule_new_workflow(workflow='order', input=order_id)\n"
    )
    assert _findings(source) == []


def test_a_helper_with_the_sync_dapr_client_is_reported_at_its_call() -> None:
    source = _APP + (
        "from dapr.clients import DaprClient\n"  # 4
        "\n"
        "def seed_inventory() -> None:\n"  # 6
        "    with DaprClient() as dapr:\n"
        "        dapr.save_state('inventory', 'duck', '50')\n"
        "\n"
        "@app.post('/orders')\n"
        "async def create(order_id: str) -> dict:\n"  # 11
        "    seed_inventory()\n"  # 12
        "    return {'id': order_id}\n"
    )
    [(line, column, message)] = _findings(source)
    assert (line, column) == (12, 5)
    assert "`seed_inventory()` blocks the event loop inside `async def create`" in message
    assert "`save_state()` on the synchronous DaprClient" in message
    # DAPR001 counts uses written in an `async def` only: this one is DAPR004's alone.
    assert _findings(source, "DAPR001") == []


def test_the_chain_through_nested_helpers_is_named() -> None:
    source = _APP + (
        "import requests\n"  # 4
        "\n"
        "def download(url: str) -> bytes:\n"
        "    return requests.get(url, timeout=5).content\n"
        "\n"
        "def refresh() -> bytes:\n"  # 9
        "    return download('https://example.com/feed')\n"
        "\n"
        "@app.post('/refresh')\n"
        "async def on_refresh() -> dict:\n"
        "    return {'size': len(refresh())}\n"  # 14
    )
    [(line, _, message)] = _findings(source)
    assert line == 14
    assert "`refresh()` blocks" in message
    assert "it calls `requests.get()` through `download()`" in message


def test_chains_deeper_than_three_functions_are_not_followed() -> None:
    source = _APP + (
        "import time\n"
        "\n"
        "def d() -> None:\n"
        "    time.sleep(1)\n"
        "\n"
        "def c() -> None:\n"
        "    d()\n"
        "\n"
        "def b() -> None:\n"
        "    c()\n"
        "\n"
        "def a() -> None:\n"
        "    b()\n"
        "\n"
        "@app.post('/deep')\n"
        "async def deep() -> None:\n"
        "    a()\n"
        "    b()\n"  # 21: b -> c -> d, three functions
    )
    assert _lines(source) == [21]


def test_methods_of_the_same_class_are_followed() -> None:
    source = _APP + (
        "from dapr.clients import DaprClient\n"
        "\n"
        "class Tasks:\n"
        "    def __init__(self) -> None:\n"
        "        self._client = DaprClient()\n"
        "\n"
        "    def _load(self, key: str) -> bytes:\n"
        "        return self._client.get_state('statestore', key).data\n"
        "\n"
        "    async def get(self, key: str) -> bytes:\n"  # 13
        "        return self._load(key)\n"  # 14
    )
    [(line, _, message)] = _findings(source)
    assert line == 14
    assert "`get_state()` on the synchronous DaprClient" in message


def test_helpers_handed_to_a_thread_are_quiet() -> None:
    source = _APP + (
        "import asyncio\n"
        "import functools\n"
        "import subprocess\n"
        "from starlette.concurrency import run_in_threadpool\n"
        "\n"
        "def build(target: str) -> None:\n"
        "    subprocess.run(['make', target], check=True)\n"
        "\n"
        "@app.post('/build')\n"
        "async def on_build(target: str) -> None:\n"
        "    await asyncio.to_thread(build, target)\n"
        "    await run_in_threadpool(build, target)\n"
        "    loop = asyncio.get_running_loop()\n"
        "    await loop.run_in_executor(None, functools.partial(build, target))\n"
        "    await loop.run_in_executor(None, lambda: build(target))\n"
    )
    assert _findings(source) == []


def test_async_helpers_generators_and_decorated_helpers_are_not_followed() -> None:
    source = _APP + (
        "import functools\n"
        "import time\n"
        "from fastapi.responses import StreamingResponse\n"
        "\n"
        "async def pause() -> None:\n"
        "    time.sleep(1)\n"  # ruff's ASYNC251, in the async helper itself
        "\n"
        "def chunks():\n"
        "    with open('big.csv') as handle:\n"  # iterated in FastAPI's thread pool
        "        yield from handle\n"
        "\n"
        "def offload(function):\n"
        "    return function\n"
        "\n"
        "@offload\n"
        "def heavy() -> None:\n"
        "    time.sleep(1)\n"
        "\n"
        "@app.get('/export')\n"
        "async def export() -> StreamingResponse:\n"
        "    await pause()\n"
        "    heavy()\n"
        "    return StreamingResponse(chunks())\n"
    )
    assert _findings(source) == []


def test_file_reads_and_writes_in_a_helper_count_but_a_stat_does_not() -> None:
    source = _APP + (
        "from pathlib import Path\n"
        "\n"
        "CACHE = Path('cache.xml')\n"
        "\n"
        "def cached() -> bool:\n"
        "    return CACHE.exists()\n"
        "\n"
        "def load() -> str:\n"
        "    return CACHE.read_text()\n"
        "\n"
        "@app.get('/weather')\n"
        "async def weather() -> dict:\n"
        "    if cached():\n"  # 16
        "        return {'xml': load()}\n"  # 17
        "    return {}\n"
    )
    [(line, _, message)] = _findings(source)
    assert line == 17
    assert "`read_text()` on a pathlib.Path" in message


def test_direct_calls_ruff_or_dapr001_report_are_not_reported_again() -> None:
    source = _APP + (
        "import time\n"
        "import httpx\n"
        "from dapr.clients import DaprClient\n"  # 6: DAPR001
        "\n"
        "dapr = DaprClient()\n"
        "\n"
        "@app.post('/orders')\n"
        "async def create(order_id: str) -> None:\n"
        "    time.sleep(1)\n"  # ASYNC251
        "    httpx.get('https://example.com', timeout=5)\n"  # ASYNC210
        "    dapr.save_state('statestore', order_id, 'new')\n"  # DAPR001
    )
    assert _findings(source) == []
    assert _lines(source, "DAPR001") == [6]


def test_a_one_shot_script_is_quiet() -> None:
    source = (
        "import asyncio\n"
        "import time\n"
        "import dapr.ext.workflow as wf\n"
        "\n"
        "def wait_a_bit() -> None:\n"
        "    time.sleep(1)\n"
        "\n"
        "async def main() -> None:\n"
        "    wait_a_bit()\n"
        "    wf.DaprWorkflowClient().schedule_new_workflow(workflow='order')\n"
        "\n"
        "asyncio.run(main())\n"
    )
    assert _findings(source) == []


def test_a_client_imported_inside_a_method_still_resolves() -> None:
    # The import runs in `__init__`; the rule reads the kinds once every import is known.
    source = _APP + (
        "class Health:\n"
        "    def __init__(self) -> None:\n"
        "        from dapr.clients import DaprClient\n"
        "        self._client = DaprClient()\n"
        "\n"
        "    def check(self) -> bool:\n"
        "        return bool(self._client.get_metadata())\n"
        "\n"
        "    async def probe(self) -> bool:\n"
        "        return self.check()\n"  # 13
    )
    assert _lines(source) == [13]


# -- across the files of a project -----------------------------------------------------------------

_REPOSITORY = (
    "from dapr.clients import DaprClient\n"  # 1
    "\n"
    "class Repository:\n"
    "    def __init__(self) -> None:\n"
    "        self._client = DaprClient()\n"
    "\n"
    "    def get(self, key: str) -> bytes:\n"
    "        return self._client.get_state('statestore', key).data\n"
    "\n"
    "    async def get_async(self, key: str) -> bytes:\n"
    "        return b''\n"
    "\n"
    "def get_repository() -> 'Repository':\n"
    "    return Repository()\n"
)


def _project(files: dict[str, str], rule: str = "DAPR004") -> list[tuple[str, int, str]]:
    report = check_changes([FileChange(path=path, content=text) for path, text in files.items()])
    return sorted((d.path, d.line, d.message) for d in report.diagnostics if d.rule == rule)


def test_a_repository_instance_of_another_module_is_followed() -> None:
    app = _APP + (
        "from svc.repository import Repository\n"  # 4
        "\n"
        "repository = Repository()\n"
        "\n"
        "@app.get('/items/{key}')\n"
        "async def read(key: str) -> bytes:\n"
        "    return repository.get(key)\n"  # 10
    )
    [(path, line, message)] = _project({"svc/app.py": app, "svc/repository.py": _REPOSITORY})
    assert (path, line) == ("svc/app.py", 10)
    assert "`get()` (svc/repository.py) blocks the event loop inside `async def read`" in message
    assert "`get_state()` on the synchronous DaprClient" in message


def test_a_repository_on_disk_is_followed_when_only_the_route_is_written(tmp_path: Path) -> None:
    # A module without routes still gives its facts: the write and `daprdev check` agree.
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "repository.py").write_text(_REPOSITORY)
    app = _APP + (
        "from svc.repository import Repository\n"
        "\n"
        "repository = Repository()\n"
        "\n"
        "@app.get('/items/{key}')\n"
        "async def read(key: str) -> bytes:\n"
        "    return repository.get(key)\n"  # 10
    )
    written = check_changes([FileChange(path="svc/app.py", content=app)], root=tmp_path)
    (tmp_path / "svc" / "app.py").write_text(app)
    checked = check_tree([tmp_path], root=tmp_path, use_cache=False)
    for report in (written, checked):
        found = [(d.path, d.line) for d in report.diagnostics if d.rule == "DAPR004"]
        assert found == [("svc/app.py", 10)]


def test_a_factory_result_and_a_module_alias_are_followed() -> None:
    app = _APP + (
        "from . import repository as repo\n"  # 4
        "\n"
        "@app.get('/items/{key}')\n"
        "async def read(key: str) -> bytes:\n"
        "    current = repo.get_repository()\n"
        "    await current.get_async(key)\n"  # 9: a coroutine of the other module
        "    return current.get(key)\n"  # 10
    )
    found = _project({"svc/app.py": app, "svc/repository.py": _REPOSITORY})
    assert [(path, line) for path, line, _ in found] == [("svc/app.py", 10)]


def test_calls_handed_to_a_thread_or_in_a_sync_route_are_quiet() -> None:
    app = _APP + (
        "import asyncio\n"
        "from svc.repository import Repository\n"
        "\n"
        "repository = Repository()\n"
        "\n"
        "@app.get('/items/{key}')\n"
        "async def read(key: str) -> bytes:\n"
        "    return await asyncio.to_thread(repository.get, key)\n"
        "\n"
        "@app.get('/raw/{key}')\n"
        "def raw(key: str) -> bytes:\n"
        "    return repository.get(key)\n"
        "\n"
        "@app.get('/other/{key}')\n"
        "async def other(key: str, repository: object) -> object:\n"
        "    return repository.get(key)\n"  # the parameter, not the module's instance
    )
    assert _project({"svc/app.py": app, "svc/repository.py": _REPOSITORY}) == []


def test_of_two_services_with_the_same_module_the_importers_own_is_followed() -> None:
    quiet = _REPOSITORY.replace("self._client.get_state('statestore', key).data", "b''")
    app = _APP + (
        "from src.repository import Repository\n"
        "\n"
        "@app.get('/items/{key}')\n"
        "async def read(key: str) -> bytes:\n"
        "    return Repository().get(key)\n"  # 8
    )
    files = {
        "orders/src/app.py": app,
        "orders/src/repository.py": quiet,
        "billing/src/app.py": app,
        "billing/src/repository.py": _REPOSITORY,
    }
    assert [(path, line) for path, line, _ in _project(files)] == [("billing/src/app.py", 8)]


def test_a_held_client_called_from_async_code_elsewhere_is_dapr001_at_its_import() -> None:
    service = (
        "class Service:\n"
        "    def __init__(self) -> None:\n"
        "        from dapr.clients import DaprClient\n"  # 3
        "        self._client = DaprClient()\n"
        "\n"
        "    @property\n"
        "    def client(self):\n"
        "        return self._client\n"
        "\n"
        "def get_service() -> Service:\n"
        "    return Service()\n"
    )
    secrets = (
        "from .service import get_service\n"
        "\n"
        "async def secret(key: str) -> str:\n"
        "    service = get_service()\n"
        "    return service.client.get_secret('vault', key).secret[key]\n"  # 5
    )
    files = {"svc/service.py": service, "svc/secrets.py": secrets}
    [(path, line, message)] = _project(files, "DAPR001")
    assert (path, line) == ("svc/service.py", 3)
    assert "called inside `async def secret` (svc/secrets.py:5)" in message
    assert _project(files) == []  # the client's own finding, not one per call


def test_a_client_module_with_its_own_async_use_is_reported_once() -> None:
    client = (
        "from dapr.clients import DaprClient\n"
        "\n"
        "client = DaprClient()\n"
        "\n"
        "async def ping() -> None:\n"
        "    client.get_metadata()\n"
    )
    user = (
        "from svc.client import client\n"
        "\n"
        "async def save() -> None:\n"
        "    client.save_state('s', 'k', 'v')\n"
    )
    found = _project({"svc/client.py": client, "svc/user.py": user}, "DAPR001")
    assert [(path, line) for path, line, _ in found] == [("svc/client.py", 1)]


def test_the_split_corpus_reports_exactly_its_marked_lines() -> None:
    for kind, ok in (("bad", False), ("good", True)):
        folder = CORPUS / kind / "blocking_split"
        files = sorted(folder.glob("*.py"))
        changes = [FileChange(path=f"svc/{f.name}", content=f.read_text()) for f in files]
        report = check_changes(changes)
        found = {(d.path, d.line, d.rule) for d in report.diagnostics}
        expected = {(f"svc/{f.name}", line, rule) for f in files for line, rule in _expected(f)}
        assert found == expected, kind
        assert report.ok is ok
