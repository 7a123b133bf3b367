"""Routes registered inside factory functions, and where job triggers really arrive.

Each case is a small project checked as a change set and as `daprdev check`, which must agree.
"""

from __future__ import annotations

from pathlib import Path

from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.tree import check_tree


def _findings(files: dict[str, str], tmp_path: Path) -> set[tuple[str, int, str]]:
    """(path, line, rule) of the Dapr findings, asserting both pipelines report the same."""
    changes = [FileChange(path=path, content=text) for path, text in files.items()]
    report = check_changes(changes, trust_suppressions=True)
    from_changes = {(d.path, d.line, d.rule) for d in report.diagnostics if d.source == "dapr"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    tree = check_tree([tmp_path], root=tmp_path, use_cache=False)
    from_tree = {(d.path, d.line, d.rule) for d in tree.diagnostics if d.source == "dapr"}
    assert from_changes == from_tree
    return from_changes


# -- routes registered by factories ---------------------------------------------------------------


def _swallowing(indent: str) -> str:
    """A handler body that logs a failed delivery and answers SUCCESS: Dapr drops the message."""
    lines = (
        "try:",
        "    await process(await request.json())",
        "except Exception:",
        "    log.exception('order failed')",
        "return {'status': 'SUCCESS'}",
    )
    return "".join(f"{indent}{line}\n" for line in lines)


# The work a delivery does: a call that may fail for a while (so swallowing it loses the message).
_PROCESS = (
    "import logging\n\n"
    "import httpx\n"
    "from fastapi import APIRouter, FastAPI, Request\n\n"
    "log = logging.getLogger(__name__)\n"
    "http = httpx.AsyncClient()\n\n\n"
    "async def process(order: dict) -> None:\n"
    "    response = await http.post('http://inventory:8080/orders', json=order)\n"
    "    response.raise_for_status()\n\n\n"
)
_FACTORY_ON_A_PARAMETER = (
    _PROCESS + "def register(app: FastAPI, topics: list[str]) -> None:\n"
    "    @app.get('/dapr/subscribe')\n"
    "    async def subscribe() -> list[dict]:\n"
    "        return [\n"
    "            {'pubsubname': 'pubsub', 'topic': t, 'route': f'/events/{t}'} for t in topics\n"
    "        ]\n\n"
    "    for t in topics:\n\n"
    "        @app.post(f'/events/{t}')\n"
    "        async def on_event(request: Request) -> dict:\n" + _swallowing(" " * 12)
)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_routes_on_a_factory_parameter_with_run_time_paths_are_judged(tmp_path: Path) -> None:
    found = _findings({"svc/events.py": _FACTORY_ON_A_PARAMETER}, tmp_path)
    line = _line_of(_FACTORY_ON_A_PARAMETER, "except Exception")
    assert ("svc/events.py", line, "DAPR033") in found


def test_a_factory_route_nothing_routes_messages_to_is_not_judged(tmp_path: Path) -> None:
    # Without the subscription, the route may be any API endpoint: its answers are its own.
    source = _FACTORY_ON_A_PARAMETER.replace("'/dapr/subscribe'", "'/health'")
    assert _findings({"svc/events.py": source}, tmp_path) == set()


_LOCAL_ROUTER = (
    _PROCESS + "def make_router() -> APIRouter:\n"
    "    router = APIRouter(prefix='/events')\n\n"
    "    @router.post('/orders')\n"
    "    async def on_order(request: Request) -> dict:\n"
    + _swallowing(" " * 8)
    + "\n    return router\n"
)
_MAIN_INCLUDING_THE_FACTORY = (
    "from fastapi import FastAPI\n\n"
    "from svc.orders import make_router\n\n"
    "app = FastAPI()\n"
    "app.include_router(make_router())\n\n\n"
    "@app.get('/dapr/subscribe')\n"
    "def subscribe() -> list[dict]:\n"
    "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/events/orders'}]\n"
)


def test_a_router_built_in_a_factory_keeps_its_prefix(tmp_path: Path) -> None:
    router = _LOCAL_ROUTER
    files = {"svc/orders.py": router, "svc/main.py": _MAIN_INCLUDING_THE_FACTORY}
    line = _line_of(router, "except Exception")
    assert ("svc/orders.py", line, "DAPR033") in _findings(files, tmp_path)
    # Declared for another route, the factory's route is not where messages go.
    other = {**files, "svc/main.py": _MAIN_INCLUDING_THE_FACTORY.replace("/events/orders", "/o")}
    assert ("svc/orders.py", line, "DAPR033") not in _findings(other, tmp_path / "other")


_APP_WITH_SUBSCRIPTION = (
    "from fastapi import FastAPI\n\n"
    "from svc.events import register\n\n"
    "app = FastAPI()\n"
    "register(app)\n\n\n"
    "@app.get('/dapr/subscribe')\n"
    "def subscribe() -> list[dict]:\n"
    "    return [{{'pubsubname': 'pubsub', 'topic': 'orders', 'route': {route!r}}}]\n"
)


def _register(decorator: str, parameters: str = "app: FastAPI") -> str:
    return (
        "from fastapi import APIRouter, FastAPI\n\n\n"
        f"def register({parameters}, topic: str = 'orders') -> None:\n"
        f"    @{decorator}\n"
        "    async def on_event() -> dict:\n"
        "        return {'status': 'SUCCESS'}\n"
    )


def test_a_run_time_path_serves_what_it_can_match(tmp_path: Path) -> None:
    main = _APP_WITH_SUBSCRIPTION.format(route="/events/orders")
    served = {"svc/main.py": main, "svc/events.py": _register("app.post(f'/events/{topic}')")}
    assert _findings(served, tmp_path) == set()
    # A route no value of the path could be is still unserved.
    elsewhere = {**served, "svc/main.py": _APP_WITH_SUBSCRIPTION.format(route="/orders")}
    assert ("svc/main.py", 11, "DAPR030") in _findings(elsewhere, tmp_path / "elsewhere")


def test_routes_the_facts_cannot_place_keep_unserved_quiet(tmp_path: Path) -> None:
    main = _APP_WITH_SUBSCRIPTION.format(route="/api/orders")
    cases = {
        # A router handed in: the caller mounts it under a prefix not in sight.
        "router": _register("router.post('/orders')", "router: APIRouter"),
        # A path that is only a run-time value.
        "value": _register("app.post(topic)"),
        # A value before the first slash may hold several segments.
        "prefix": _register("app.post(f'{topic}/orders')"),
    }
    for name, events in cases.items():
        files = {"svc/main.py": main, "svc/events.py": events}
        assert _findings(files, tmp_path / name) == set(), name


def test_a_route_declared_at_run_time_is_never_reported_unserved(tmp_path: Path) -> None:
    main = (
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n"
        "TOPICS = ['orders', 'payments']\n\n\n"
        "@app.get('/dapr/subscribe')\n"
        "def subscribe() -> list[dict]:\n"
        "    return [{'pubsubname': 'p', 'topic': t, 'route': f'/in/{t}'} for t in TOPICS]\n\n\n"
        "@app.post('/in/orders')\n"
        "async def on_order() -> dict:\n"
        "    return {'status': 'SUCCESS'}\n"
    )
    assert _findings({"svc/main.py": main}, tmp_path) == set()


# -- where job triggers arrive --------------------------------------------------------------------

# A module of the service that schedules a reminder per task through the raw Jobs API, on line
# 10, and checks the answer (a refused schedule raises; DAPR036 otherwise).
_SCHEDULER = (
    "import os\n\n"
    "import httpx\n\n"
    "DAPR = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}\"\n\n\n"
    "async def remind(http: httpx.AsyncClient, task_id: str, at: str) -> None:\n"
    "    name = f'reminder-{task_id}'\n"
    "    (await http.post(f'{DAPR}/v1.0/jobs/{name}', json={'dueTime': at})).raise_for_status()\n"
)
_SCHEDULE_LINE = 10


def _app(decorator: str, body: str = "    return {}\n") -> str:
    return (
        "from fastapi import APIRouter, FastAPI\n\n"
        "app = FastAPI()\n\n\n"
        f"@{decorator}\n"  # line 6
        "async def on_trigger(name: str) -> dict:\n" + body
    )


def test_a_raw_jobs_api_schedule_without_a_trigger_route(tmp_path: Path) -> None:
    files = {"svc/jobs.py": _SCHEDULER, "svc/main.py": _app("app.get('/health')")}
    assert _findings(files, tmp_path) == {("svc/jobs.py", _SCHEDULE_LINE, "DAPR012")}


def test_trigger_routes_daprd_calls(tmp_path: Path) -> None:
    for index, decorator in enumerate(
        ("app.post('/job/{name}')", "app.post('/job/reminder-{name}')", "app.post(f'/job/{name}')")
    ):
        files = {"svc/jobs.py": _SCHEDULER, "svc/main.py": _app(decorator)}
        assert _findings(files, tmp_path / str(index)) == set(), decorator


def test_a_trigger_route_for_other_jobs_only(tmp_path: Path) -> None:
    files = {"svc/jobs.py": _SCHEDULER, "svc/main.py": _app("app.post('/job/cleanup')")}
    assert _findings(files, tmp_path) == {("svc/jobs.py", _SCHEDULE_LINE, "DAPR012")}


def test_a_trigger_callback_on_the_wrong_path_or_method(tmp_path: Path) -> None:
    for index, decorator in enumerate(
        (
            "app.put('/api/jobs/trigger/{name}')",
            "app.post('/jobs/{name}')",
            "app.get('/job/{name}')",
            "app.api_route('/job/{name}', methods=['PUT'])",
        )
    ):
        files = {"svc/jobs.py": _SCHEDULER, "svc/main.py": _app(decorator)}
        # Reported once, where the fix goes: the route, not every place that schedules.
        assert _findings(files, tmp_path / str(index)) == {("svc/main.py", 6, "DAPR012")}, decorator


def test_a_trigger_route_under_a_router_prefix_is_not_at_the_root(tmp_path: Path) -> None:
    main = (
        "from fastapi import APIRouter, FastAPI\n\n"
        "app = FastAPI()\n"
        "api = APIRouter()\n\n\n"
        "@api.post('/job/{name}')\n"  # line 7
        "async def on_trigger(name: str) -> dict:\n"
        "    return {}\n\n\n"
        "app.include_router(api, prefix='/api')\n"
    )
    files = {"svc/jobs.py": _SCHEDULER, "svc/main.py": main}
    assert _findings(files, tmp_path) == {("svc/main.py", 7, "DAPR012")}
    at_root = {**files, "svc/main.py": main.replace(", prefix='/api'", "")}
    assert _findings(at_root, tmp_path / "root") == set()


def test_routes_about_jobs_are_no_trigger_callbacks(tmp_path: Path) -> None:
    # Reading and cancelling jobs, and a route that itself schedules them, manage jobs.
    managing = (
        (
            _app("app.get('/jobs/{name}')") + "\n\n@app.delete('/job/{name}')\n"
            "async def cancel(name: str) -> None:\n    return None\n"
            "\n\n@app.post('/jobs/{name}')\n"
            "async def create(name: str, http: httpx.AsyncClient) -> None:\n"
            "    await http.post(f'{DAPR}/v1.0/jobs/{name}', json={'dueTime': '1h'})\n"
        )
        .replace("from fastapi", "import httpx\nfrom fastapi")
        .replace("app = FastAPI()\n", "app = FastAPI()\nDAPR = 'http://127.0.0.1:3500'\n")
    )
    files = {"svc/jobs.py": _SCHEDULER, "svc/main.py": managing}
    found = _findings(files, tmp_path)
    # Nothing receives the triggers: said where the jobs are scheduled, not on those routes.
    scheduled = {(path, line) for path, line, rule in found if rule == "DAPR012"}
    assert scheduled == {("svc/jobs.py", _SCHEDULE_LINE), ("svc/main.py", 20)}


def test_a_callback_route_dapr_delivers_messages_to(tmp_path: Path) -> None:
    main = _app("app.post('/jobs/completed')").replace(
        "app = FastAPI()\n",
        "app = FastAPI()\n\n\n@app.get('/dapr/subscribe')\ndef subscribe() -> list[dict]:\n"
        "    return [{'pubsubname': 'p', 'topic': 'done', 'route': '/jobs/completed'}]\n",
    )
    found = _findings({"svc/jobs.py": _SCHEDULER, "svc/main.py": main}, tmp_path)
    assert {(path, rule) for path, _, rule in found} == {("svc/jobs.py", "DAPR012")}


def test_jobs_scheduled_without_an_app_in_sight_or_for_another_app(tmp_path: Path) -> None:
    assert _findings({"svc/jobs.py": _SCHEDULER}, tmp_path) == set()
    script = _SCHEDULER + (
        "\n\nif __name__ == '__main__':\n"
        "    import asyncio\n\n"
        "    asyncio.run(remind(httpx.AsyncClient(), '42', '10m'))\n"
    )
    files = {"admin/schedule.py": script, "svc/main.py": _app("app.put('/jobs/{name}')")}
    assert _findings(files, tmp_path / "script") == set()


def test_a_grpc_job_callback_receives_raw_api_jobs(tmp_path: Path) -> None:
    grpc_app = (
        "from dapr.ext.grpc import App, JobEvent\n\n"
        "app = App()\n\n\n"
        "@app.job_event('reminder-42')\n"
        "def on_reminder(event: JobEvent) -> None:\n"
        "    print(event.name)\n"
    )
    assert _findings({"svc/jobs.py": _SCHEDULER, "svc/app.py": grpc_app}, tmp_path) == set()
