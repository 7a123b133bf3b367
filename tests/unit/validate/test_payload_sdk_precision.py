"""DAPR007 reports only event fields that drive work unvalidated and can fail; DAPR023 the SDK
misuse that fails at import or call time; DAPR003 stays quiet on lock and lease loops."""

from __future__ import annotations

import pytest

from tools.validate.engine import analyze


def _found(source: str, rule: str) -> list[tuple[int, int]]:
    return [
        (d.line, d.column) for d in analyze("app/service.py", source).diagnostics if d.rule == rule
    ]


# -- DAPR007 ---------------------------------------------------------------------------------------

_SUBSCRIBER = (
    "from dapr.ext.fastapi import DaprApp\n"  # 1
    "from fastapi import FastAPI, Request\n"  # 2
    "\n"  # 3
    "app = FastAPI()\n"  # 4
    "dapr_app = DaprApp(app)\n"  # 5
    "\n"  # 6
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"  # 7
    "async def on_order(event: dict) -> dict:\n"  # 8
)


@pytest.mark.parametrize(
    "body",
    [
        # The key is tested for first.
        "    if 'id' in event['data']:\n        ship(event['data']['id'])\n",
        # A missing key is caught and answered DROP (or acknowledged): no redelivery loop.
        "    try:\n        ship(event['data']['id'])\n    except KeyError:\n"
        "        return {'status': 'DROP'}\n",
        # Read with a default.
        "    ship(event.get('data', {}).get('id', 'unknown'))\n",
        # Attributes daprd writes into the envelope are always there.
        "    ship(event['id'], event['topic'])\n",
        # A field read only for a log line does no work.
        "    order_id = event['data']['id']\n    print('got ' + str(order_id))\n"
        "    print('got {}'.format(event['data']['id']))\n",
    ],
)
def test_fields_that_cannot_fail_or_do_no_work_are_quiet(body: str) -> None:
    assert _found(_SUBSCRIBER + body + "    return {'status': 'SUCCESS'}\n", "DAPR007") == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    ship(event['data']['id'])\n", [(9, 10)]),
        # A catch that answers 500 or re-raises still has Dapr deliver the event again.
        (
            "    try:\n        ship(event['data']['id'])\n    except Exception:\n        raise\n",
            [(10, 14)],
        ),
        (
            "    try:\n        ship(event['data']['id'])\n    except KeyError as error:\n"
            "        raise RuntimeError('bad') from error\n",
            [(10, 14)],
        ),
    ],
)
def test_an_unguarded_field_that_drives_work_is_reported(body: str, expected: list) -> None:
    assert _found(_SUBSCRIBER + body + "    return {'status': 'SUCCESS'}\n", "DAPR007") == expected


def test_a_job_body_is_the_job_s_data_not_an_envelope() -> None:
    source = (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n"
        "@app.post('/job/cleanup')\n"  # 5
        "async def cleanup(body: dict) -> dict:\n"  # 6
        "    purge(body['id'])\n"  # 7
        "    return {}\n"
    )
    assert _found(source, "DAPR007") == [(7, 11)]


def test_a_class_built_from_the_event_is_left_to_dapr006() -> None:
    source = (
        "from dataclasses import dataclass\n\n@dataclass\nclass Order:\n    id: str\n\n"
        + _SUBSCRIBER
        + "    ship(Order(**event['data']))\n    return {'status': 'SUCCESS'}\n"
    )
    rules = {d.rule for d in analyze("app/service.py", source).diagnostics}
    assert "DAPR006" in rules
    assert "DAPR007" not in rules


def test_json_read_from_elsewhere_than_the_event_is_not_the_payload() -> None:
    body = (
        "    state = await load()\n"
        "    saved = json.loads(state.data)\n"
        "    ship(saved['id'])\n"
        "    return {'status': 'SUCCESS'}\n"
    )
    assert _found("import json\n" + _SUBSCRIBER + body, "DAPR007") == []


def test_an_event_published_from_a_dict_literal_is_not_reported() -> None:
    source = (
        "import json\nfrom dapr.aio.clients import DaprClient\n\n"
        "async def publish(client: DaprClient, task_id: str) -> None:\n"
        "    await client.publish_event('pubsub', 'tasks', json.dumps({'task_id': task_id}), "
        "data_content_type='application/json')\n"
    )
    assert _found(source, "DAPR007") == []


def test_flask_s_request_json_is_the_delivered_body() -> None:
    source = (
        "from flask import Flask, jsonify, request\n\n"
        "app = Flask(__name__)\n\n"
        "@app.route('/dapr/subscribe', methods=['GET'])\n"
        "def subscribe():\n"
        "    return jsonify([{'pubsubname': 'ps', 'topic': 'o', 'route': 'orders'}])\n\n"
        "@app.route('/orders', methods=['POST'])\n"  # 9
        "def on_order():\n"  # 10
        "    order = request.json['data']\n"  # 11
        "    ship(order['id'])\n"  # 12
        "    return jsonify({'status': 'SUCCESS'})\n"
    )
    assert _found(source, "DAPR007") == [(12, 10)]


# -- DAPR003 ---------------------------------------------------------------------------------------

_LOOP_HEAD = "import asyncio\nimport logging\nimport time\n\n"  # 1-4


@pytest.mark.parametrize(
    "function",
    [
        # Retrying try_lock until granted, giving up after a deadline.
        "async def acquire(client, deadline: float) -> None:\n"
        "    while True:\n"
        "        if (await client.try_lock('locks', 'r', 'me', 30)).success:\n"
        "            break\n"
        "        if time.monotonic() > deadline:\n"
        "            raise TimeoutError('r')\n"
        "        await asyncio.sleep(0.1)\n",
        # Renewing a lease while it is held, with the client opened per pass.
        "async def renew(state, make_client) -> None:\n"
        "    while state.held:\n"
        "        await asyncio.sleep(15)\n"
        "        async with make_client() as client:\n"
        "            reply = await client.renew_lease(state.lease_id)\n"
        "        logging.debug('renewed %s', str(reply))\n",
        # A bounded number of passes.
        "def drain(queue) -> None:\n"
        "    sent = 0\n"
        "    while True:\n"
        "        queue.pop()\n"
        "        sent += 1\n"
        "        if sent >= 10:\n"
        "            break\n"
        "        time.sleep(1)\n",
    ],
)
def test_lock_lease_and_bounded_loops_are_not_schedulers(function: str) -> None:
    source = _LOOP_HEAD + "from fastapi import FastAPI\n\napp = FastAPI()\n\n" + function
    assert _found(source, "DAPR003") == []


def test_business_work_beside_a_lock_call_is_still_scheduled() -> None:
    source = (
        _LOOP_HEAD + "from fastapi import FastAPI\n\napp = FastAPI()\n\n"  # 5-8
        "async def sweep(client, purge) -> None:\n"  # 9
        "    while True:\n"  # 10
        "        if (await client.try_lock('locks', 'sweep', 'me', 30)).success:\n"
        "            await purge()\n"
        "        await asyncio.sleep(60)\n"
    )
    assert _found(source, "DAPR003") == [(10, 5)]


# -- DAPR023 ---------------------------------------------------------------------------------------


def _sdk(source: str) -> list[str]:
    return [d.message for d in analyze("app/service.py", source).diagnostics if d.rule == "DAPR023"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("from dapr.ext.workflow import workflow", "is a method of `WorkflowRuntime`"),
        ("from dapr.clients.grpc._state import TransactionalStateOperation", "it is in `dapr."),
        ("from dapr.clients import DaprClinet", "did you mean `DaprClient`?"),
    ],
)
def test_a_name_the_sdk_module_lacks_is_reported_with_where_it_is(line: str, expected: str) -> None:
    [message] = _sdk(f"{line}  # noqa: F401\n")
    assert "raises ImportError" in message
    assert expected in message


@pytest.mark.parametrize(
    "line",
    [
        "from dapr.ext.workflow import DaprWorkflowContext, WorkflowRuntime",
        "from dapr.clients.grpc._request import TransactionOperationType",
        "from dapr.ext.workflow import workflow_runtime",  # a submodule
        "from dapr.clients import _private_helper",  # private names are not the API
        "from dapr.not_a_module import anything",  # a module the table does not know
        "from .dapr import workflow",  # the project's own package
    ],
)
def test_names_the_sdk_has_or_that_cannot_be_judged_are_quiet(line: str) -> None:
    assert _sdk(f"{line}  # noqa: F401\n") == []


_RUNTIME = (
    "from dapr.aio.clients import DaprClient\n"
    "from dapr.clients import DaprClient as SyncClient\n"
    "from dapr.ext.workflow import DaprWorkflowContext, WorkflowRuntime\n\n"
    "runtime = WorkflowRuntime()\n\n"
)


def test_awaiting_a_synchronous_sdk_method_is_reported() -> None:
    source = _RUNTIME + "async def startup() -> None:\n    await runtime.start()\n"
    [message] = _sdk(source)
    assert "`WorkflowRuntime.start` is synchronous" in message


@pytest.mark.parametrize(
    "body",
    [
        "    runtime.start()\n",
        "    await client.save_state('s', 'k', 'v')\n",
        # The synchronous client awaited is the sync-client-in-async mistake, reported elsewhere.
        "    await sync.save_state('s', 'k', 'v')\n",
    ],
)
def test_awaiting_what_is_awaitable_or_judged_elsewhere_is_quiet(body: str) -> None:
    source = _RUNTIME + "async def run(client: DaprClient, sync: SyncClient) -> None:\n" + body
    assert _sdk(source) == []


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("client.invoke_method('a', 'm', data={'id': 1})", "takes `data` as bytes or str"),
        ("client.publish_event('p', 't', [1, 2])", "not a list"),
        ("client.save_state('s', 'k', f'{1}', state_metadata='x')", "not a str"),
        ("client.wait('10')", "takes `timeout_s` as bool or float or int, not a str"),
    ],
)
def test_a_literal_of_a_kind_the_annotation_rules_out_is_reported(call: str, expected: str) -> None:
    [message] = _sdk(_RUNTIME + f"async def run(client: DaprClient) -> None:\n    await {call}\n")
    assert expected in message


@pytest.mark.parametrize(
    "call",
    [
        "client.invoke_method('a', 'm', data=json.dumps({'id': 1}))",
        "client.invoke_method('a', 'm', data=payload)",
        "client.save_state('s', 'k', 'v', state_metadata={'ttlInSeconds': '60'})",
        "client.invoke_method('a', 'm', timeout=5)",  # numbers are not judged
        "client.wait(10)",  # an int where a float is annotated: PEP 484's numeric tower
    ],
)
def test_values_of_the_accepted_kind_or_unknown_are_quiet(call: str) -> None:
    source = (
        "import json\n"
        + _RUNTIME
        + f"async def run(client: DaprClient, payload: bytes) -> None:\n    await {call}\n"
    )
    assert _sdk(source) == []


def test_a_workflow_context_is_known_by_its_annotation() -> None:
    workflow = (
        "@runtime.workflow(name='order')\n"
        "def order(ctx{annotation}, item: dict):\n"
        "    yield ctx.call_activity('reserve', input=item, retry_policy={{'max_attempts': 3}})\n"
    )
    [message] = _sdk(_RUNTIME + workflow.format(annotation=": DaprWorkflowContext"))
    assert "`DaprWorkflowContext.call_activity` takes `retry_policy` as an object" in message
    assert _sdk(_RUNTIME + workflow.format(annotation="")) == []


def test_an_operation_type_given_as_text_is_reported() -> None:
    head = (
        "from dapr.clients.grpc._request import TransactionalStateOperation as Op\n"
        "from dapr.clients.grpc._request import TransactionOperationType as Type\n\n"
    )
    wrong = "OP = Op('k', 'v', operation_type='upsert')\n"
    right = "OP = Op('k', 'v', operation_type=Type.upsert)\n"
    assert len(_sdk(head + wrong)) == 1
    assert _sdk(head + right) == []
