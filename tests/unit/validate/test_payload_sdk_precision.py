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
