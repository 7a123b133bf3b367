"""Where the state, publish and jobs rules (DAPR016-027) look, beyond their own examples."""

from __future__ import annotations

import pytest

from tools.changes import FileChange
from tools.validate import check_changes

_RAW_PUBLISH = (
    "import httpx\n\n"
    "def publish(http: httpx.Client, base: str, order: dict) -> None:\n"
    "    http.post(f'{base}/v1.0/publish/pubsub/orders', json=order)\n"
)
_COMPOSED_ALPHA1 = (
    "API = 'v1.0-alpha1'\n\ndef url(base: str) -> str:\n    return f'{base}/{API}/jobs/x'\n"
)


def _rules(path: str, source: str) -> set[str]:
    return {d.rule for d in check_changes([FileChange(path=path, content=source)]).diagnostics}


@pytest.mark.parametrize(
    "path", ["tests/e2e/harness/sidecar.py", "bench/bench_publish.py", "service/test_orders.py"]
)
def test_harness_code_may_drive_the_sidecar_by_hand(path: str) -> None:
    assert "DAPR019" not in _rules(path, _RAW_PUBLISH)
    assert "DAPR010" not in _rules(path, _COMPOSED_ALPHA1)


def test_service_code_may_not() -> None:
    assert "DAPR019" in _rules("service/publisher.py", _RAW_PUBLISH)
    assert "DAPR010" in _rules("service/jobs.py", _COMPOSED_ALPHA1)


_ROUTES = (
    "from fastapi import APIRouter, Request\n\n"
    "router = APIRouter()\n"
    "seen: set[str] = set()\n\n\n"
    '@router.post("/orders")\n'
    "async def on_order(request: Request) -> dict[str, str]:\n"
    "    event_id = request.headers.get('x-event-id', '')\n"
    "    if event_id in seen:\n"
    '        return {"status": "SUCCESS"}\n'
    "    seen.add(event_id)\n"
    '    return {"status": "SUCCESS"}\n'
)
_DECLARES_ORDERS = (
    "from fastapi import FastAPI\n\n"
    "from service.routes import router\n\n"
    "app = FastAPI()\n"
    "app.include_router(router)\n\n\n"
    '@app.get("/dapr/subscribe")\n'
    "async def subscribe() -> list[dict[str, str]]:\n"
    '    return [{"pubsubname": "pubsub", "topic": "orders", "route": "/orders"}]\n'
)


def test_an_in_memory_dedupe_counts_once_another_file_routes_messages_to_it() -> None:
    routes = FileChange(path="service/routes.py", content=_ROUTES)
    alone = check_changes([routes]).diagnostics
    assert "DAPR018" not in {d.rule for d in alone}  # a plain POST route may cache what it likes
    declared = FileChange(path="service/main.py", content=_DECLARES_ORDERS)
    together = check_changes([routes, declared]).diagnostics
    assert [(d.path, d.line) for d in together if d.rule == "DAPR018"] == [
        ("service/routes.py", 10)
    ]
