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


def test_a_dataclass_built_from_the_event_is_reported_and_a_typeddict_is_not() -> None:
    head = (
        "from dataclasses import dataclass\n"  # 1
        "from typing import TypedDict\n"  # 2
        "from fastapi import FastAPI, Request\n\n"  # 3
        "@dataclass\nclass Order:\n    id: str\n\n"  # 5-7
        "class Draft(TypedDict):\n    id: str\n\n"  # 9-10
        "app = FastAPI()\n\n"  # 12
        "@app.post('/job/ship')\n"  # 14
        "async def on_job(request: Request) -> dict:\n"  # 15
        "    data = await request.json()\n"  # 16
    )
    assert _found(head + "    ship(Order(**data))\n    return {}\n", "DAPR007") == [(17, 10)]
    assert _found(head + "    ship(Draft(**data))\n    return {}\n", "DAPR007") == []


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
