"""Every way Dapr reaches the app, across files: the project-level delivery check.

Each case is a small project; the same project goes through `check_changes` (a change set) and
`check_tree` (`daprdev check`), which must agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.tree import check_tree

_MAIN = (
    "from fastapi import FastAPI\n\n"
    "from svc.orders import router\n\n"
    "app = FastAPI()\n"
    "app.include_router(router{include})\n\n\n"
    "@app.get('/dapr/subscribe')\n"
    "def subscribe() -> list[dict]:\n"
    "    return [{{'pubsubname': 'pubsub', 'topic': 'orders', 'route': {route!r}}}]\n"
)
# A handler whose `(body, 500)` is sent as HTTP 200: Dapr acknowledges the failure.
_ORDERS = (
    "from fastapi import APIRouter, Request\n\n"
    "router = APIRouter({prefix})\n\n\n"
    "@router.post('/orders')\n"
    "async def on_order(request: Request):\n"
    "    if not await request.body():\n"
    "        return {{'error': 'empty'}}, 500\n"  # line 9
    "    return {{'status': 'SUCCESS'}}\n"
)


def _project(route: str, *, include: str = "", prefix: str = "") -> dict[str, str]:
    return {
        "svc/main.py": _MAIN.format(include=include, route=route),
        "svc/orders.py": _ORDERS.format(prefix=prefix),
    }


def _findings(files: dict[str, str], tmp_path: Path) -> set[tuple[str, int, str]]:
    """(path, line, rule) of the Dapr findings, asserting both pipelines report the same."""
    changes = [FileChange(path=path, content=text) for path, text in files.items()]
    # As `daprdev check` does, trust the files' own suppressions (a model's write would not).
    report = check_changes(changes, trust_suppressions=True)
    from_changes = {(d.path, d.line, d.rule) for d in report.diagnostics if d.source == "dapr"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    tree = check_tree([tmp_path], root=tmp_path, use_cache=False)
    from_tree = {(d.path, d.line, d.rule) for d in tree.diagnostics if d.source == "dapr"}
    assert from_changes == from_tree
    return from_changes


def test_a_route_listed_by_dapr_subscribe_in_another_module_is_judged(tmp_path: Path) -> None:
    found = _findings(_project("/orders"), tmp_path)
    assert found == {("svc/orders.py", 9, "DAPR005")}


def test_a_post_route_nobody_declares_is_not_judged(tmp_path: Path) -> None:
    files = _project("/orders")
    files["svc/main.py"] = files["svc/main.py"].replace("'route': '/orders'", "'route': '/o'")
    found = _findings(files, tmp_path)
    # Nothing serves /o: that is the finding, not the handler nobody delivers to.
    assert found == {("svc/main.py", 11, "DAPR030")}


def test_a_route_without_a_leading_slash(tmp_path: Path) -> None:
    assert _findings(_project("orders"), tmp_path) == {("svc/orders.py", 9, "DAPR005")}


@pytest.mark.parametrize(
    ("route", "include", "prefix"),
    [
        ("/api/orders", ", prefix='/api'", ""),
        ("/api/orders", "", "prefix='/api'"),
        ("/v1/api/orders", ", prefix='/v1'", "prefix='/api'"),
    ],
)
def test_prefixes_of_the_router_and_of_its_include(
    tmp_path: Path, route: str, include: str, prefix: str
) -> None:
    files = _project(route, include=include, prefix=prefix)
    assert _findings(files, tmp_path) == {("svc/orders.py", 9, "DAPR005")}


def test_a_subscription_list_under_the_routers_prefix_still_names_its_deliveries(
    tmp_path: Path,
) -> None:
    # daprd never reads /api/dapr/subscribe (DAPR058), but the handlers it lists are the app's
    # deliveries, judged as such once the list moves to the root.
    listed = (
        "\n\n@router.get('/dapr/subscribe')\n"
        "def subscribe() -> list[dict]:\n"
        "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/api/orders'}]\n"
    )
    files = {
        "svc/main.py": "from fastapi import FastAPI\n\nfrom svc.orders import router\n\n"
        "app = FastAPI()\napp.include_router(router)\n",
        "svc/orders.py": _ORDERS.format(prefix="prefix='/api'") + listed,
    }
    assert _findings(files, tmp_path) == {
        ("svc/orders.py", 9, "DAPR005"),
        ("svc/orders.py", 13, "DAPR058"),
    }


def test_a_route_mounted_under_a_prefix_the_subscription_does_not_name(tmp_path: Path) -> None:
    files = _project("/orders", include=", prefix='/api/v1'")
    assert _findings(files, tmp_path) == {("svc/main.py", 11, "DAPR030")}


def test_a_router_never_included(tmp_path: Path) -> None:
    files = _project("/orders")
    files["svc/main.py"] = files["svc/main.py"].replace("app.include_router(router)\n", "")
    assert _findings(files, tmp_path) == {("svc/main.py", 10, "DAPR030")}


def test_prefixes_apply_per_router(tmp_path: Path) -> None:
    files = _project("/orders", include=", prefix='/api'")
    # A second router serves /orders at the root; only its handler is Dapr's.
    files["svc/main.py"] = (
        files["svc/main.py"]
        .replace(
            "from svc.orders import router\n",
            "from svc.orders import router\nfrom svc.plain import plain\n",
        )
        .replace(
            "app.include_router(router, prefix='/api')\n",
            "app.include_router(router, prefix='/api')\napp.include_router(plain)\n",
        )
    )
    files["svc/plain.py"] = (
        "from fastapi import APIRouter\n\n"
        "plain = APIRouter()\n\n\n"
        "@plain.post('/orders')\n"
        "async def on_order() -> dict:\n"
        "    return {'status': 'OK'}\n"  # line 8
    )
    assert _findings(files, tmp_path) == {("svc/plain.py", 8, "DAPR005")}


def test_relative_imports_of_routers(tmp_path: Path) -> None:
    files = _project("/v1/orders")
    files["svc/main.py"] = (
        files["svc/main.py"]
        .replace("from svc.orders import router\n", "from . import orders\n")
        .replace("app.include_router(router)", "app.include_router(orders.router, prefix='/v1')")
    )
    assert _findings(files, tmp_path) == {("svc/orders.py", 9, "DAPR005")}


_SUBSCRIPTION_V2 = (
    "apiVersion: dapr.io/v2alpha1\n"
    "kind: Subscription\n"
    "metadata:\n"
    "  name: orders\n"
    "spec:\n"
    "  pubsubname: pubsub\n"
    "  topic: orders\n"
    "  routes:\n"
    "    rules:\n"
    '      - match: event.type == "order.created"\n'
    "        path: {path}\n"  # line 11
    "    default: /orders\n"
)
_APP = (
    "from fastapi import FastAPI\n\n"
    "app = FastAPI()\n\n\n"
    "@app.post('/orders')\n"
    "async def on_order() -> dict:\n"
    "    return {'status': 'DONE'}\n"  # line 8
)


def test_declarative_subscription_routes_are_judged(tmp_path: Path) -> None:
    files = {
        "resources/orders.yaml": _SUBSCRIPTION_V2.format(path="/orders"),
        "svc/app.py": _APP,
    }
    assert _findings(files, tmp_path) == {("svc/app.py", 8, "DAPR005")}


def test_declarative_subscription_route_nothing_serves(tmp_path: Path) -> None:
    files = {
        "resources/orders.yaml": _SUBSCRIPTION_V2.format(path="/orders/created"),
        "svc/app.py": _APP.replace("'DONE'", "'SUCCESS'"),
    }
    assert _findings(files, tmp_path) == {("resources/orders.yaml", 11, "DAPR030")}


def test_v1alpha1_subscription(tmp_path: Path) -> None:
    files = {
        "components/sub.yaml": (
            "apiVersion: dapr.io/v1alpha1\nkind: Subscription\nmetadata:\n  name: s\n"
            "spec:\n  pubsubname: pubsub\n  topic: orders\n  route: /orders\n"
        ),
        "svc/app.py": _APP,
    }
    assert _findings(files, tmp_path) == {("svc/app.py", 8, "DAPR005")}


def test_an_input_binding_route_is_not_judged_as_a_subscription(tmp_path: Path) -> None:
    files = {
        "components/orders.yaml": (
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders\n"
            "spec:\n  type: bindings.cron\n  version: v1\n"
            "  metadata:\n    - name: schedule\n      value: '@every 10s'\n"
        ),
        "svc/app.py": _APP,
    }
    assert _findings(files, tmp_path) == set()


_CRON = (
    "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n"  # line 4
    "spec:\n  type: bindings.cron\n  version: v1\n"
    "  metadata:\n    - name: schedule\n      value: '@every 1m'\n{extra}"
)


def test_an_input_binding_route_nothing_serves(tmp_path: Path) -> None:
    files = {
        "components/cron.yaml": _CRON.format(name="reminder-sweep", extra=""),
        "svc/app.py": _APP.replace("'DONE'", "'SUCCESS'"),
    }
    assert _findings(files, tmp_path) == {("components/cron.yaml", 4, "DAPR030")}


def test_an_input_binding_routed_by_its_metadata_to_a_served_path(tmp_path: Path) -> None:
    extra = "    - name: route\n      value: /orders\n"
    files = {
        "components/cron.yaml": _CRON.format(name="reminder-sweep", extra=extra),
        "svc/app.py": _APP.replace("'DONE'", "'SUCCESS'"),
    }
    assert _findings(files, tmp_path) == set()


def test_a_grpc_app_of_the_project_may_take_the_binding(tmp_path: Path) -> None:
    grpc_app = (
        "from dapr.ext.grpc import App, BindingRequest\n\n"
        "grpc_app = App()\n\n\n"
        "@grpc_app.binding('reminder-sweep')\n"
        "def sweep(request: BindingRequest) -> None:\n"
        "    print(request.text())\n"
    )
    files = {
        "components/cron.yaml": _CRON.format(name="reminder-sweep", extra=""),
        "svc/app.py": _APP.replace("'DONE'", "'SUCCESS'"),
        "svc/sweeper.py": grpc_app,
    }
    assert _findings(files, tmp_path) == set()


def test_an_output_binding_is_not_delivered_to(tmp_path: Path) -> None:
    extra = "    - name: direction\n      value: output\n"
    files = {
        "components/cron.yaml": _CRON.format(name="reminder-sweep", extra=extra),
        "svc/app.py": _APP.replace("'DONE'", "'SUCCESS'"),
    }
    assert _findings(files, tmp_path) == set()


def test_a_grpc_job_event_handles_the_job(tmp_path: Path) -> None:
    scheduler = (
        "from dapr.aio.clients import DaprClient, Job\n\n\n"
        "async def register(client: DaprClient) -> None:\n"
        "    await client.schedule_job(Job(name='nightly', schedule='@daily'))\n"  # line 5
    )
    grpc_app = (
        "from dapr.ext.grpc import App, JobEvent\n\n"
        "app = App()\n\n\n"
        "@app.job_event('nightly')\n"
        "def nightly(event: JobEvent) -> None:\n"
        "    print(event.name)\n"
    )
    assert _findings({"svc/jobs.py": scheduler, "svc/app.py": grpc_app}, tmp_path) == set()
    other = grpc_app.replace("'nightly'", "'weekly'")
    found = _findings({"svc/jobs.py": scheduler, "svc/app.py": other}, tmp_path / "other")
    assert found == {("svc/jobs.py", 5, "DAPR012")}


def test_a_job_is_triggered_on_the_app_that_scheduled_it(tmp_path: Path) -> None:
    """daprd delivers a job's triggers to the app that scheduled it: a trigger route served by
    another service of the same repository does not receive them."""
    backend = (
        "from dapr.aio.clients import DaprClient, Job\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n\n"
        "@app.post('/tasks/{task_id}/remind')\n"
        "async def remind(task_id: str, client: DaprClient) -> dict:\n"
        "    await client.schedule_job(Job(name=f'reminder-{task_id}', due_time='10m'))\n"  # 9
        "    return {'task_id': task_id}\n"
    )
    notifier = (
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n\n"
        "@app.post('/job/reminder-{task_id}')\n"
        "async def on_reminder(task_id: str) -> dict:\n"
        "    return {'sent': task_id}\n"
    )
    files = {"backend/app/main.py": backend, "notifier/app/main.py": notifier}
    assert _findings(files, tmp_path / "apart") == {("backend/app/main.py", 9, "DAPR012")}
    # The trigger route in the scheduling app's own folder receives them.
    together = {"backend/app/main.py": backend, "backend/app/jobs.py": notifier}
    assert _findings(together, tmp_path / "together") == set()


def test_a_one_shot_script_scheduling_jobs_for_another_app(tmp_path: Path) -> None:
    script = (
        "import asyncio\n\n"
        "from dapr.aio.clients import DaprClient, Job\n\n\n"
        "async def main() -> None:\n"
        "    async with DaprClient() as client:\n"
        "        await client.schedule_job(Job(name='nightly', schedule='@daily'))\n\n\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n"
    )
    files = {"admin/schedule.py": script, "svc/app.py": _APP.replace("'DONE'", "'SUCCESS'")}
    assert "DAPR012" not in {rule for _, _, rule in _findings(files, tmp_path)}


def test_noqa_on_the_declaration_keeps_it_quiet(tmp_path: Path) -> None:
    files = _project("/o")
    files["svc/main.py"] = files["svc/main.py"].replace(
        "'route': '/o'}]\n", "'route': '/o'}]  # noqa: DAPR030\n"
    )
    assert _findings(files, tmp_path) == set()


def test_an_include_the_facts_cannot_follow_keeps_unserved_quiet(tmp_path: Path) -> None:
    files = _project("/elsewhere")
    files["svc/main.py"] = (
        files["svc/main.py"]
        .replace("app.include_router(router)", "app.include_router(make_router())")
        .replace("app = FastAPI()\n", "app = FastAPI()\nmake_router = None\n")
    )
    assert _findings(files, tmp_path) == set()


def test_a_router_re_exported_by_its_package(tmp_path: Path) -> None:
    files = _project("/orders")
    files["svc/main.py"] = files["svc/main.py"].replace(
        "from svc.orders import router\n", "from svc.routes import orders_router as router\n"
    )
    files["svc/routes/orders.py"] = files.pop("svc/orders.py")
    files["svc/routes/__init__.py"] = "from .orders import router as orders_router\n"
    assert _findings(files, tmp_path) == {("svc/routes/orders.py", 9, "DAPR005")}


def test_an_include_of_a_router_not_in_sight_keeps_routers_served(tmp_path: Path) -> None:
    files = _project("/orders")
    # The include names a module the project does not hold: it may be the one mounting `router`.
    files["svc/main.py"] = (
        files["svc/main.py"]
        .replace(
            "from svc.orders import router\n",
            "from svc.orders import router\nfrom vendor import users\n",
        )
        .replace("app.include_router(router)", "app.include_router(users.router)")
    )
    assert _findings(files, tmp_path) == {("svc/orders.py", 9, "DAPR005")}


def test_blocking_calls_in_a_one_shot_script_stall_no_one(tmp_path: Path) -> None:
    script = (
        "import asyncio\nimport time\n\n\n"
        "async def main() -> None:\n"
        "    time.sleep(1)\n\n\n"
        "asyncio.run(main())\n"
    )
    service = script.replace(
        "asyncio.run(main())\n", "from fastapi import FastAPI\n\napp = FastAPI()\n"
    )
    for name, text, reported in (("once.py", script, False), ("svc.py", service, True)):
        gate = check_changes([FileChange(path=name, content=text)]).diagnostics
        (tmp_path / name).write_text(text)
        tree = check_tree([tmp_path / name], root=tmp_path, use_cache=False).diagnostics
        assert ("ASYNC251" in {d.rule for d in gate}) == reported
        assert ("ASYNC251" in {d.rule for d in tree}) == reported


_ENVELOPE = (
    "from pydantic import BaseModel\n\n\n"
    "class Envelope(BaseModel):\n"
    "    id: str\n"
    "    specversion: str\n"
    "    traceparent: str{default}\n"
    "    data: dict\n"
)
_TYPED_HANDLER = (
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI\n\n"
    "from {module} import Envelope\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(event: Envelope) -> dict:\n"  # line 11
    "    return {{'status': 'SUCCESS', 'id': event.data.get('id')}}\n"
)


def _envelope_rules(files: dict[str, str], tmp_path: Path) -> set[tuple[str, int, str]]:
    return {f for f in _findings(files, tmp_path) if f[2] == "DAPR034"}


def test_an_envelope_model_of_another_module_types_the_body(tmp_path: Path) -> None:
    files = {
        "svc/schemas.py": _ENVELOPE.format(default=""),
        "svc/main.py": _TYPED_HANDLER.format(module="svc.schemas"),
    }
    assert _envelope_rules(files, tmp_path) == {("svc/main.py", 11, "DAPR034")}


def test_an_envelope_model_re_exported_by_its_package(tmp_path: Path) -> None:
    files = {
        "svc/models/__init__.py": "from .events import *\n",
        "svc/models/events.py": _ENVELOPE.format(default=""),
        "svc/main.py": _TYPED_HANDLER.format(module="svc.models"),
    }
    assert _envelope_rules(files, tmp_path) == {("svc/main.py", 11, "DAPR034")}


def test_an_imported_envelope_requiring_only_what_every_delivery_has(tmp_path: Path) -> None:
    files = {
        "svc/schemas.py": _ENVELOPE.format(default=" | None = None"),
        "svc/main.py": _TYPED_HANDLER.format(module="svc.schemas"),
    }
    assert _envelope_rules(files, tmp_path) == set()


# -- subscriptions listed from a module table, answered by one shared handler ---------------------

_TABLE_APP = (
    "from fastapi import FastAPI, Request\n\n"
    "app = FastAPI()\n"
    "ROUTES = {table}\n\n\n"
    "@app.get('/dapr/subscribe')\n"
    "def subscribe() -> list[dict]:\n"
    "    return [{{'pubsubname': 'pubsub', 'topic': t, 'route': r}} for {loop}]\n\n\n"
    "async def handle(request: Request, topic: str) -> dict:\n"
    "    if not await request.body():\n"
    "        return {{'status': 'IGNORED'}}\n"  # line 14
    "    return {{'status': 'SUCCESS'}}\n\n\n"
    "@app.post('/orders')\n"
    "async def on_order(request: Request) -> dict:\n"
    "    return await handle(request, 'orders')\n"
)


@pytest.mark.parametrize(
    ("table", "loop"),
    [
        ("[('orders', '/orders'), ('paid', '/paid')]", "t, r in ROUTES"),
        ("{'orders': '/orders', 'paid': '/paid'}", "t, r in ROUTES.items()"),
    ],
)
def test_routes_of_a_comprehension_over_a_module_table(
    tmp_path: Path, table: str, loop: str
) -> None:
    files = {"svc/app.py": _TABLE_APP.format(table=table, loop=loop)}
    # /paid is declared and nothing serves it; /orders is, and its shared handler is judged.
    assert _findings(files, tmp_path) == {
        ("svc/app.py", 4, "DAPR030"),
        ("svc/app.py", 14, "DAPR005"),
    }


def test_a_shared_handler_handed_more_than_settings_is_not_a_delegate(tmp_path: Path) -> None:
    files = {
        "svc/app.py": _TABLE_APP.format(
            table="[('orders', '/orders')]", loop="t, r in ROUTES"
        ).replace("topic: str", "topic: object")
    }
    assert _findings(files, tmp_path) == set()
