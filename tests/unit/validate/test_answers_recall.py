"""What a delivery handler answers daprd, as the delivery rules read it (DAPR005, DAPR006, DAPR012,
DAPR030, DAPR032, DAPR033, DAPR034): each new finding and each case that must stay quiet."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.engine import analyze
from tools.validate.rules._answers import FASTAPI_PUBSUB, Reading, answer_of
from tools.validate.tree import check_tree


def _findings(source: str, rule: str) -> list[tuple[int, int]]:
    return [
        (d.line, d.column) for d in analyze("app/service.py", source).diagnostics if d.rule == rule
    ]


def _answer(statement: str, how: Reading = FASTAPI_PUBSUB) -> str:
    node = ast.parse(statement).body[0]
    assert isinstance(node, ast.Return | ast.Raise)
    return answer_of(node, how)


# -- the shared reading of answers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("return {'status': 'SUCCESS'}", "success"),
        ("return {'status': 'success'}", "retry"),
        ('return Response(content=\'{"status": "DROP"}\')', "drop"),
        ('return Response(content=\'{"status": "IGNORED"}\')', "retry"),
        ("return Response(content='not json')", "success"),
        ("return JSONResponse({'status': 'RETRY'}, status_code=200)", "retry"),
        ("return {'error': 'x'}, 500", "success"),  # FastAPI: a JSON array with 200
        ("return None", "success"),
    ],
)
def test_fastapi_answers(statement: str, expected: str) -> None:
    assert _answer(statement) == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("return jsonify({'error': 'x'}), 500", "server-error"),
        ("return jsonify({'status': 'DROP'})", "drop"),
        ("return json.dumps({'status': 'RETRY'}), 200", "retry"),
        ("return '', 404", "drop"),
        ("return", "server-error"),
        ("return None", "server-error"),
        ("return 'OK'", "success"),
    ],
)
def test_flask_answers(statement: str, expected: str) -> None:
    assert _answer(statement, Reading(flask=True)) == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("return TopicEventResponse('retry')", "retry"),
        ("return TopicEventResponse('DROP')", "drop"),
        ("return TopicEventResponse(status='success')", "success"),
        ("return TopicEventResponse(TopicEventResponseStatus.drop)", "drop"),
        ("return TopicEventResponse('fail')", "unknown"),  # the SDK raises KeyError
        ("return TopicEventResponse(status)", "unknown"),
    ],
)
def test_grpc_sdk_answers(statement: str, expected: str) -> None:
    # The SDK looks the status up by its lowercased name: case does not matter here.
    assert _answer(statement, Reading(grpc=True)) == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # The servicer sends an empty reply, SUCCESS, for anything but a TopicEventResponse.
        ("return", "success"),
        ("return None", "success"),
        ("return {'status': 'RETRY'}", "success"),
        ("return {'error': 'bad'}, 500", "success"),
        # An escaping exception is a gRPC error daprd retries; there is no HTTP status to set.
        ("raise RuntimeError('store down')", "server-error"),
        ("raise HTTPException(status_code=404)", "server-error"),
    ],
)
def test_grpc_app_answers(statement: str, expected: str) -> None:
    assert _answer(statement, Reading(grpc=True)) == expected


def test_a_grpc_binding_callback_is_delivered_whatever_it_returns() -> None:
    binding = Reading(reads_status=False, grpc=True)
    assert _answer("return TopicEventResponse('retry')", binding) == "success"
    assert _answer("raise ValueError('bad row')", binding) == "server-error"


def test_a_job_trigger_reads_only_the_http_status() -> None:
    job = Reading(reads_status=False)
    assert _answer("return {'status': 'error'}", job) == "success"
    assert _answer("return JSONResponse({'status': 'RETRY'}, status_code=500)", job) == (
        "server-error"
    )


# -- DAPR005 -------------------------------------------------------------------------------------

_GRPC = (
    "from dapr.clients.grpc._response import TopicEventResponse\n"  # 1
    "from dapr.ext.grpc import App\n"  # 2
    "\n"  # 3
    "app = App()\n"  # 4
    "\n"  # 5
    "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"  # 6
    "def on_order(event) -> TopicEventResponse:\n"  # 7
)


@pytest.mark.parametrize("status", ["'fail'", "'error'", "'ack'"])
def test_an_sdk_response_with_an_unknown_status_raises(status: str) -> None:
    source = _GRPC + f"    return TopicEventResponse({status})\n"
    assert _findings(source, "DAPR005") == [(8, 12)]


@pytest.mark.parametrize("status", ["'success'", "'RETRY'", "'Drop'", "status=TopicEventStatus"])
def test_an_sdk_response_with_a_known_status_is_quiet(status: str) -> None:
    source = _GRPC + f"    return TopicEventResponse({status})\n"
    assert _findings(source, "DAPR005") == []


_FASTAPI_SUBSCRIBER = (
    "from fastapi import FastAPI, Request, Response\n"  # 1
    "from pydantic import BaseModel\n"  # 2
    "\n"  # 3
    "class Entry(BaseModel):\n"  # 4
    "    pubsubname: str\n"  # 5
    "    topic: str\n"  # 6
    "    route: str\n"  # 7
    "\n"  # 8
    "app = FastAPI()\n"  # 9
    "\n"  # 10
    "@app.get('/dapr/subscribe')\n"  # 11
    "async def subscribe() -> list[Entry]:\n"  # 12
    "    return [Entry(pubsubname='pubsub', topic='orders', route='/orders')]\n"  # 13
    "\n"  # 14
    "@app.post('/orders')\n"  # 15
    "async def on_order(request: Request) -> Response:\n"  # 16
    "    if not request.headers:\n"  # 17
)


def test_an_unknown_status_in_a_raw_response_body_is_reported() -> None:
    source = (
        _FASTAPI_SUBSCRIBER + '        return Response(content=\'{"status": "IGNORED"}\')\n'
        '    return Response(content=\'{"status": "SUCCESS"}\')\n'
    )
    assert _findings(source, "DAPR005") == [(18, 9)]


def test_a_route_listed_by_a_subscription_model_is_a_subscription() -> None:
    # The same answer on a POST route Dapr is not told about is no finding.
    source = (
        _FASTAPI_SUBSCRIBER.replace("route='/orders'", "route='/invoices'")
        + '        return Response(content=\'{"status": "IGNORED"}\')\n'
        '    return Response(content=\'{"status": "SUCCESS"}\')\n'
    )
    assert _findings(source, "DAPR005") == []


_FLASK = (
    "from flask import Flask, jsonify, request\n"  # 1
    "\n"  # 2
    "app = Flask(__name__)\n"  # 3
    "\n"  # 4
    "@app.route('/dapr/subscribe', methods=['GET'])\n"  # 5
    "def subscribe():\n"  # 6
    "    return jsonify([{'pubsubname': 'pubsub', 'topic': 'orders', 'route': 'orders'}])\n"  # 7
    "\n"  # 8
    "@app.route('/orders', methods=['POST'])\n"  # 9
    "def on_order():\n"  # 10
)


def test_a_flask_subscriber_ending_without_a_return_is_reported_at_its_def() -> None:
    assert _findings(_FLASK + "    print(request.json)\n", "DAPR005") == [(10, 1)]


def test_a_flask_subscriber_returning_nothing_is_reported_at_the_return() -> None:
    source = _FLASK + "    if not request.json:\n        return\n    return jsonify({})\n"
    assert _findings(source, "DAPR005") == [(12, 9)]


@pytest.mark.parametrize(
    "body",
    [
        "    return jsonify({'status': 'SUCCESS'})\n",
        "    return '', 204\n",
        "    return jsonify({'status': 'DROP'}), 200\n",
        "    if request.json:\n        return 'OK'\n    raise ValueError('no body')\n",
    ],
)
def test_a_flask_subscriber_returning_a_body_is_quiet(body: str) -> None:
    assert _findings(_FLASK + body, "DAPR005") == []


def test_a_flask_route_dapr_does_not_deliver_to_may_return_nothing() -> None:
    source = _FLASK.replace("'/orders', methods", "'/audit', methods") + "    print(1)\n"
    assert _findings(source, "DAPR005") == []


# -- DAPR032, DAPR031: Flask answers its tuple's status -------------------------------------------

_FLASK_TRY = _FLASK + "    try:\n        order = request.json['data']\n        print(order['id'])\n"


def test_a_flask_catch_all_answering_500_retries_poison() -> None:
    source = _FLASK_TRY + "    except Exception as error:\n        return jsonify({'e': 1}), 500\n"
    assert _findings(source + "    return jsonify({})\n", "DAPR032") == [(15, 9)]


def test_a_flask_catch_all_answering_drop_is_quiet() -> None:
    source = _FLASK_TRY + "    except Exception:\n        return jsonify({'status': 'DROP'}), 200\n"
    assert _findings(source + "    return jsonify({})\n", "DAPR032") == []


def test_a_flask_poison_branch_returning_nothing_is_a_500() -> None:
    source = _FLASK_TRY + "    except KeyError:\n        return None\n    return jsonify({})\n"
    assert _findings(source, "DAPR031") == [(15, 9)]


# -- DAPR034: an envelope model requiring attributes a delivery may lack ---------------------------

_ENVELOPE = (
    "from dapr.ext.fastapi import DaprApp\n"  # 1
    "from fastapi import FastAPI\n"  # 2
    "from pydantic import BaseModel, Field\n"  # 3
    "\n"  # 4
    "class CloudEvent(BaseModel):\n"  # 5
    "    id: str\n"  # 6
    "    specversion: str\n"  # 7
    "    data: dict\n"  # 8
    "{attributes}"
    "\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n"
    "{extra}"
    "\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "def on_order(event: CloudEvent) -> dict:\n"
    "    return {{'status': 'SUCCESS'}}\n"
)


def _envelope(attributes: str, extra: str = "") -> str:
    return _ENVELOPE.format(attributes=attributes, extra=extra)


@pytest.mark.parametrize(
    "attributes",
    [
        "    traceid: str\n    tracestate: str\n",
        "    datacontenttype: str = Field(...)\n",
        "    time: str = Field(description='when')\n",
    ],
)
def test_an_envelope_model_requiring_optional_attributes_is_reported(attributes: str) -> None:
    source = _envelope(attributes)
    line = source.splitlines().index("def on_order(event: CloudEvent) -> dict:") + 1
    assert _findings(source, "DAPR034") == [(line, 14)]
    # One finding for one mistake: DAPR006 leaves the envelope model to DAPR034.
    assert _findings(source, "DAPR006") == []


@pytest.mark.parametrize(
    "attributes",
    [
        "",
        "    topic: str\n    pubsubname: str\n",
        "    tracestate: str | None = None\n    time: str = Field(default='')\n",
    ],
)
def test_an_envelope_model_requiring_only_what_every_delivery_has_is_quiet(
    attributes: str,
) -> None:
    assert _findings(_envelope(attributes), "DAPR034") == []


def test_a_subclass_giving_the_attribute_a_default_is_quiet() -> None:
    attributes = "    traceid: str\n\nclass Lenient(CloudEvent):\n    traceid: str = ''\n"
    source = _envelope(attributes).replace("event: CloudEvent", "event: Lenient")
    assert _findings(source, "DAPR034") == []


def test_an_app_answering_validation_errors_itself_is_quiet() -> None:
    extra = (
        "\n@app.exception_handler(RequestValidationError)\n"
        "async def drop(request, exc):\n    return {'status': 'DROP'}\n"
    )
    source = "from fastapi.exceptions import RequestValidationError\n" + _envelope(
        "    traceid: str\n", extra
    )
    assert _findings(source, "DAPR034") == []


# -- DAPR006: a class built from the payload's keys ---------------------------------------------

_BUILDS = (
    "import json\n"  # 1
    "from dataclasses import dataclass\n"  # 2
    "\n"  # 3
    "from fastapi import FastAPI, Request\n"  # 4
    "\n"  # 5
    "@dataclass\n"  # 6
    "class Order:\n"  # 7
    "    id: str\n"  # 8
    "\n"  # 9
    "app = FastAPI()\n"  # 10
    "SETTINGS = {'id': 'x'}\n"  # 11
    "\n"  # 12
    "@app.get('/dapr/subscribe')\n"  # 13
    "async def subscribe() -> list:\n"  # 14
    "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n"  # 15
    "\n"  # 16
    "@app.post('/orders')\n"  # 17
    "async def on_order(request: Request) -> dict:\n"  # 18
    "    envelope = await request.json()\n"  # 19
    "    data = envelope.get('data')\n"  # 20
)


def test_a_class_built_from_the_payload_outside_a_try_is_reported() -> None:
    source = _BUILDS + "    print(Order(**data))\n    return {'status': 'SUCCESS'}\n"
    assert _findings(source, "DAPR006") == [(21, 11)]


@pytest.mark.parametrize(
    "body",
    [
        "    print(Order(**SETTINGS))\n",  # not the payload
        "    try:\n        print(Order(**data))\n    except TypeError:\n"
        "        return {'status': 'DROP'}\n",
        "    print(Order(id=data['id'], **SETTINGS))\n",
    ],
)
def test_a_class_built_from_other_values_or_guarded_is_quiet(body: str) -> None:
    assert _findings(_BUILDS + body + "    return {'status': 'SUCCESS'}\n", "DAPR006") == []


# -- DAPR033: a job trigger reads only the HTTP status -------------------------------------------

_TRIGGER = (
    "from fastapi import FastAPI, Request\n"  # 1
    "\n"  # 2
    "app = FastAPI()\n"  # 3
    "\n"  # 4
    "@app.post('{path}')\n"  # 5
    "async def on_trigger(request: Request) -> dict:\n"  # 6
    "    try:\n"  # 7
    "        await request.app.state.dapr.invoke_binding('mail', 'create', b'')\n"  # 8
    "    except Exception as error:\n"  # 9
    "        return {{'status': 'error', 'message': str(error)}}\n"  # 10
    "    return {{'status': 'SUCCESS'}}\n"  # 11
)


def test_a_job_trigger_answering_its_failure_with_200_is_reported() -> None:
    assert _findings(_TRIGGER.format(path="/job/{name}"), "DAPR033") == [(10, 9)]


def test_a_subscriber_answering_an_unknown_status_is_retried_not_swallowed() -> None:
    source = _TRIGGER.format(path="/orders") + (
        "\n@app.get('/dapr/subscribe')\nasync def subscribe() -> list:\n"
        "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n"
    )
    assert _findings(source, "DAPR033") == []
    assert _findings(source, "DAPR005") == [(10, 9)]


# -- DAPR030: a Subscription scoped to apps the project does not hold -----------------------------

_SCOPED = (
    "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: s\n"
    "spec:\n  pubsubname: pubsub\n  topic: orders\n  routes:\n    default: /orders/created\n"
    "scopes:\n{scopes}"
)
_SERVICE = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\n"
    "@app.post('/invoices')\nasync def on_invoice() -> dict:\n    return {}\n"
)


def _project_findings(files: dict[str, str], tmp_path: Path) -> set[tuple[str, int, str]]:
    """(path, line, rule) of the Dapr findings; a change set and `daprdev check` must agree."""
    changes = [FileChange(path=path, content=text) for path, text in files.items()]
    report = check_changes(changes, trust_suppressions=True)
    found = {(d.path, d.line, d.rule) for d in report.diagnostics if d.source == "dapr"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    tree = check_tree([tmp_path], root=tmp_path, use_cache=False)
    assert {(d.path, d.line, d.rule) for d in tree.diagnostics if d.source == "dapr"} == found
    return found


def test_a_subscription_scoped_to_an_app_of_the_project_is_judged(tmp_path: Path) -> None:
    files = {
        "resources/sub.yaml": _SCOPED.format(scopes="  - billing\n  - mailer\n"),
        "services/billing/main.py": _SERVICE,
    }
    assert _project_findings(files, tmp_path) == {("resources/sub.yaml", 9, "DAPR030")}


@pytest.mark.parametrize("under_spec", [False, True])
def test_a_subscription_scoped_only_to_apps_elsewhere_is_quiet(
    tmp_path: Path, under_spec: bool
) -> None:
    manifest = _SCOPED.format(scopes="  - mailer\n")
    if under_spec:
        manifest = manifest.replace("scopes:\n  -", "  scopes:\n    -")
    files = {"resources/sub.yaml": manifest, "services/billing/main.py": _SERVICE}
    assert _project_findings(files, tmp_path) == set()
