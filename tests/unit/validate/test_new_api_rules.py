"""Where the rules for service invocation and distributed locks (DAPR037, DAPR038) look, beyond
their own examples: what they stay quiet on and what they report."""

from __future__ import annotations

import pytest

from tools.changes import FileChange
from tools.validate import check_changes


def _findings(source: str, rule: str, path: str = "service/app.py") -> list[int]:
    """The lines `rule` reports in `source`, checked as application code at `path`."""
    report = check_changes([FileChange(path=path, content=source)])
    return sorted(d.line for d in report.diagnostics if d.rule == rule)


# -- DAPR037: service invocation through `requests` without a timeout ----------------------------

_INVOKE = (
    "import requests\n\n"
    "def reserve(base: str, order: dict, **options: object) -> None:\n"
    "    url = f'{base}/v1.0/invoke/inventory/method/reserve'\n"
)


@pytest.mark.parametrize(
    "source",
    [
        # The caller's own bound, or options handed on that may carry one.
        _INVOKE + "    requests.post(url, json=order, timeout=5)\n",
        _INVOKE + "    requests.post(url, json=order, **options)\n",
        # Headers that name no app: a request to the sidecar's own API.
        "import requests\n\n"
        "def health(base: str) -> int:\n"
        "    headers = {'content-type': 'application/json'}\n"
        "    return requests.get(f'{base}/v1.0/healthz', headers=headers).status_code\n",
        # The name is given headers without an app id once: the call may go anywhere.
        "import requests\n\n"
        "def send(base: str, body: str, internal: bool) -> None:\n"
        "    headers = {'dapr-app-id': 'inventory'}\n"
        "    if not internal:\n"
        "        headers = {'content-type': 'text/plain'}\n"
        "    requests.post(f'{base}/reserve', data=body, headers=headers)\n",
        # A project's own session-like object is not `requests`.
        "class Http:\n"
        "    def post(self, url: str) -> None: ...\n\n"
        "def reserve(http: Http, base: str) -> None:\n"
        "    http.post(f'{base}/v1.0/invoke/inventory/method/reserve')\n",
    ],
)
def test_invocation_with_a_bound_or_no_invocation_is_quiet(source: str) -> None:
    assert _findings(source, "DAPR037") == []


def test_requests_in_async_code_is_left_to_the_blocking_rules() -> None:
    source = (
        "import requests\n\n"
        "async def reserve(base: str, order: dict) -> None:\n"
        "    requests.post(f'{base}/v1.0/invoke/inventory/method/reserve', json=order)\n"
    )
    report = check_changes([FileChange(path="service/app.py", content=source)])
    rules = {d.rule for d in report.diagnostics}
    assert "DAPR037" not in rules
    assert rules & {"ASYNC210", "DAPR004"}


def test_tests_may_invoke_by_hand() -> None:
    source = _INVOKE + "    requests.post(url, json=order)\n"
    assert _findings(source, "DAPR037", path="tests/test_reserve.py") == []
    assert _findings(source, "DAPR037") == [5]


def test_headers_set_again_before_each_call_still_name_the_app() -> None:
    source = (
        "import requests\n\n"
        "def fulfil(base: str, body: str) -> None:\n"
        "    headers = {'dapr-app-id': 'kitchen'}\n"
        "    requests.post(base + '/cook', data=body, headers=headers)\n"
        "    headers = {'Dapr-App-Id': 'delivery'}\n"
        "    requests.post(base + '/deliver', data=body, headers=headers)\n"
    )
    assert _findings(source, "DAPR037") == [5, 7]


def test_a_script_loop_calling_another_app_is_reported() -> None:
    source = (
        "import time\n\nimport requests\n\n"
        "URL = 'http://localhost:3500/v1.0/invoke/orders/method/new'  # noqa: DAPR013\n\n"
        "while True:\n"
        "    try:\n"
        "        requests.request('POST', URL, json={'id': 1})\n"
        "    except requests.RequestException as error:\n"
        "        print(error)\n"
        "    time.sleep(1)\n"
    )
    assert _findings(source, "DAPR037") == [9]


# -- DAPR038: the answer of try_lock not tested ------------------------------------------------

_LOCK = (
    "from dapr.aio.clients import DaprClient\n\n"
    "async def settle(client: DaprClient, order_id: str, owner: str) -> bool:\n"
)


@pytest.mark.parametrize(
    "body",
    [
        "    if await client.try_lock('locks', order_id, owner, 30):\n        return True\n"
        "    return False\n",
        "    if not (lock := await client.try_lock('locks', order_id, owner, 30)):\n"
        "        return False\n    return lock.success\n",
        "    return bool(await client.try_lock('locks', order_id, owner, 30))\n",
        # Handed on: whoever keeps it decides.
        "    client.held = await client.try_lock('locks', order_id, owner, 30)\n    return True\n",
        "    async with await client.try_lock('locks', order_id, owner, 30) as lock:\n"
        "        return lock.success\n",
    ],
)
def test_a_tested_answer_is_quiet(body: str) -> None:
    assert _findings(_LOCK + body, "DAPR038") == []


def test_a_try_lock_that_is_not_daprs_is_quiet() -> None:
    source = (
        "class Locks:\n"
        "    def try_lock(self, key: str, ttl: int) -> bool: ...\n\n"
        "def run(locks: Locks) -> None:\n"
        "    locks.try_lock('nightly', 60)\n"
    )
    assert _findings(source, "DAPR038") == []


def test_the_synchronous_client_and_dapr_parameters_are_recognised() -> None:
    source = (
        "from dapr.clients import DaprClient\n\n"
        "def settle(order_id: str) -> None:\n"
        "    with DaprClient() as client:\n"
        "        client.try_lock('locks', order_id, 'me', 30)\n"
        "        client.invoke_binding('payments', 'create', order_id)\n\n"
        "def renew(locks, order_id: str) -> None:\n"
        "    locks.try_lock(store_name='locks', resource_id=order_id, lock_owner='me',\n"
        "                   expiry_in_seconds=30)\n"
    )
    assert _findings(source, "DAPR038") == [5, 9]


def test_a_with_target_read_only_outside_its_body_is_reported() -> None:
    source = _LOCK + (
        "    async with await client.try_lock('locks', order_id, owner, 30) as lock:\n"
        "        await client.invoke_binding('payments', 'create', order_id)\n"
        "    return lock.success\n"
    )
    assert _findings(source, "DAPR038") == [4]
