"""Delivery and client rules judged by what daprd and the SDK do, not by the code's shape (DAPR001,
DAPR032, DAPR033, DAPR036): each new finding and each case that must stay quiet."""

from __future__ import annotations

from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.engine import analyze


def _findings(source: str, rule: str) -> list[tuple[int, int]]:
    return [
        (d.line, d.column) for d in analyze("app/service.py", source).diagnostics if d.rule == rule
    ]


# -- DAPR001: the synchronous client's coroutine method blocks nothing -----------------------------

_INVOKER = (
    "from dapr.clients import DaprClient\n"
    "from fastapi import FastAPI\n\n"
    "app = FastAPI()\n\n\n"
    "@app.get('/greet/{name}')\n"
    "async def greet(name: str) -> str:\n"
    "    with DaprClient() as client:\n"
    "        response = await client.invoke_method_async('greeter', f'greet/{name}', data='')\n"
    "{extra}"
    "        return response.text()\n"
)


def test_only_awaiting_invoke_method_async_is_quiet() -> None:
    assert _findings(_INVOKER.replace("{extra}", ""), "DAPR001") == []


def test_a_coroutine_method_gathered_unawaited_is_quiet() -> None:
    source = (
        "import asyncio\n\nfrom dapr.clients import DaprClient\n\nclient = DaprClient()\n\n\n"
        "async def fan_out(names: list[str]) -> list:\n"
        "    calls = [client.invoke_method_async('greeter', n, data='') for n in names]\n"
        "    return await asyncio.gather(*calls)\n"
    )
    assert _findings(source, "DAPR001") == []


def test_a_blocking_method_beside_the_coroutine_one_is_reported() -> None:
    extra = "        client.publish_event('pubsub', 'greeted', name)\n"
    assert _findings(_INVOKER.replace("{extra}", extra), "DAPR001") == [(1, 26)]


def test_a_client_only_constructed_in_async_code_is_still_reported() -> None:
    source = (
        "from dapr.clients import DaprClient\n\n\n"
        "async def make() -> DaprClient:\n"
        "    return DaprClient()\n"
    )
    assert _findings(source, "DAPR001") == [(1, 26)]


# -- DAPR032: RETRY is wrong only for what the message itself causes -------------------------------

_SUBSCRIBER = (
    "from dapr.actor import ActorId, ActorProxy\n"
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI, HTTPException, Request\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n\n"
    "def parse(body: bytes) -> dict:\n"
    "    return json.loads(body)\n\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(request: Request) -> dict:\n"
    "    event = await request.json()\n"
    "    key = str(event.get('id'))\n"
    "    try:\n"
    "{work}"
    "    except Exception:\n"
    "        raise HTTPException(status_code=500, detail='later')\n"  # line 19 + the lines of work
    "    return {'status': 'SUCCESS'}\n"
)


def test_a_catch_all_around_an_actor_call_only_is_quiet() -> None:
    work = (
        "        proxy = ActorProxy.create('Order', ActorId(key), object)\n"
        "        await proxy.invoke_method('Record', event)\n"
    )
    assert _findings(_SUBSCRIBER.replace("{work}", work), "DAPR032") == []


def test_a_catch_all_around_a_sidecar_call_only_is_quiet() -> None:
    work = "        await request.app.state.dapr.save_state('orders', key, str(event))\n"
    assert _findings(_SUBSCRIBER.replace("{work}", work), "DAPR032") == []


def test_a_nested_try_that_drops_poison_leaves_only_transient_failures() -> None:
    work = (
        "        try:\n"
        "            count = int(event['count'])\n"
        "        except (KeyError, ValueError):\n"
        "            return {'status': 'DROP'}\n"
        "        await request.app.state.dapr.save_state('orders', key, str(count))\n"
    )
    assert _findings(_SUBSCRIBER.replace("{work}", work), "DAPR032") == []


def test_a_field_read_in_the_try_is_reported() -> None:
    work = "        await request.app.state.dapr.save_state('orders', event['id'], '1')\n"
    assert _findings(_SUBSCRIBER.replace("{work}", work), "DAPR032") == [(20, 9)]


def test_a_conversion_in_the_try_is_reported() -> None:
    work = "        await request.app.state.dapr.save_state('orders', key, str(int(key)))\n"
    assert _findings(_SUBSCRIBER.replace("{work}", work), "DAPR032") == [(20, 9)]


def test_a_call_into_a_function_that_decodes_is_reported() -> None:
    work = "        order = parse(await request.body())\n        print(order)\n"
    source = "import json\n" + _SUBSCRIBER.replace("{work}", work)
    assert _findings(source, "DAPR032") == [(22, 9)]


_ROUTES = (
    "from fastapi import FastAPI, Request\n"
    "from fastapi.responses import JSONResponse\n\n"
    "app = FastAPI()\n\n\n"
    "@app.get('/dapr/subscribe')\n"
    "def subscribe() -> list[dict]:\n"
    "    return [\n"
    "        {'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'},\n"
    "        {'pubsubname': 'pubsub', 'topic': 'refunds', 'route': '/refunds'},\n"
    "    ]\n\n\n"
    "@app.post('/orders')\n"
    "async def on_order(request: Request) -> JSONResponse:\n"
    "    return await _record(request, 'order')\n\n\n"
    "@app.post('/refunds')\n"
    "async def on_refund(request: Request) -> JSONResponse:\n"
    "    return await _record(request, 'refund')\n\n\n"
    "async def _record(request: Request, kind: str) -> JSONResponse:\n"
    "    try:\n"
    "{work}"
    "    except Exception as error:\n"  # the answer: line 28 + the work's lines
    "        return JSONResponse({'error': str(error)}, status_code=500)\n"
    "    return JSONResponse({'status': 'SUCCESS'})\n"
)


def test_a_helper_answering_for_routes_is_judged_once_at_the_helper() -> None:
    work = "        event = await request.json()\n        print(kind, event)\n"
    findings = analyze("app/service.py", _ROUTES.replace("{work}", work)).diagnostics
    assert [(d.line, d.column) for d in findings if d.rule == "DAPR032"] == [(30, 9)]
    assert "`_record`" in next(d.message for d in findings if d.rule == "DAPR032")


def test_a_helper_doing_only_transient_work_is_quiet() -> None:
    work = "        await request.app.state.dapr.save_state('audit', kind, await request.body())\n"
    assert _findings(_ROUTES.replace("{work}", work), "DAPR032") == []


# -- DAPR033: only a failure that may pass later, of a delivery daprd would redeliver --------------

_JOB = (
    "import logging\n\n"
    "from fastapi import FastAPI, Request\n\n"
    "log = logging.getLogger(__name__)\n"
    "app = FastAPI()\n\n\n"
    "async def _store(request: Request, data: bytes) -> None:\n"
    "    await request.app.state.dapr.save_state('reports', 'latest', data)\n\n\n"
    "async def _read(request: Request) -> dict:\n"
    "    return await request.json()\n\n\n"
    "@app.post('/job/{name}')\n"
    "async def on_job(name: str, request: Request) -> dict:\n"
    "    try:\n"
    "{work}"
    "    except Exception as error:\n"  # line 20 + the lines of work
    "        log.error(error)\n"
    "    return {'done': name}\n"
)


def test_a_try_that_only_reads_and_logs_the_payload_is_quiet() -> None:
    work = (
        "        data = await request.json()\n"
        "        text = (await request.body()).decode()\n"
        "        log.info('%s %s', data, text)\n"
    )
    assert _findings(_JOB.replace("{work}", work), "DAPR033") == []


def test_a_helper_that_only_reads_the_request_is_quiet() -> None:
    work = "        log.info('%s', await _read(request))\n"
    assert _findings(_JOB.replace("{work}", work), "DAPR033") == []


def test_a_helper_doing_state_work_is_reported() -> None:
    work = "        await _store(request, await request.body())\n"
    assert _findings(_JOB.replace("{work}", work), "DAPR033") == [(21, 5)]


def test_state_work_caught_in_a_nested_try_still_counts() -> None:
    work = (
        "        try:\n"
        "            await request.app.state.dapr.save_state('reports', name, b'')\n"
        "        except ValueError:\n"
        "            return {'done': name}\n"
    )
    assert _findings(_JOB.replace("{work}", work), "DAPR033") == [(24, 5)]


_CRON_HANDLER = (
    "import logging\n\n"
    "from fastapi import FastAPI, Request\n\n"
    "log = logging.getLogger(__name__)\n"
    "app = FastAPI()\n\n\n"
    "@app.post('/nightly')\n"
    "async def on_nightly(request: Request) -> dict:\n"
    "    try:\n"
    "        await request.app.state.dapr.save_state('reports', 'nightly', b'')\n"
    "    except Exception:\n"  # line 13
    "        log.exception('report failed')\n"
    "    return {'done': True}\n"
)
_BINDING = (
    "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: nightly\n"
    "spec:\n  type: {type}\n  version: v1\n"
    "  metadata:\n    - name: {name}\n      value: '{value}'\n"
)


def _with_binding(component_type: str, name: str, value: str) -> set[tuple[str, int, str]]:
    manifest = (
        _BINDING.replace("{type}", component_type).replace("{name}", name).replace("{value}", value)
    )
    changes = [
        FileChange(path="components/nightly.yaml", content=manifest),
        FileChange(path="svc/app.py", content=_CRON_HANDLER),
    ]
    report = check_changes(changes, trust_suppressions=True)
    return {(d.path, d.line, d.rule) for d in report.diagnostics if d.source == "dapr"}


def test_a_cron_trigger_is_never_redelivered_so_nothing_is_lost() -> None:
    assert _with_binding("bindings.cron", "schedule", "@every 10m") == set()


def test_a_queue_binding_redelivers_so_the_swallowed_failure_is_lost() -> None:
    findings = _with_binding("bindings.rabbitmq", "queueName", "nightly")
    assert ("svc/app.py", 13, "DAPR033") in findings


# -- DAPR036: a status made a bool is lost when every caller throws it away ------------------------

_PUBLISHER = (
    "import httpx\n\n"
    "PUBLISH = 'http://localhost:3500/v1.0/publish/pubsub/orders'\n\n\n"
    "class Publisher:\n"
    "    async def _send(self, order: dict) -> bool:\n"
    "        async with httpx.AsyncClient() as client:\n"
    "            response = await client.post(PUBLISH, json=order)\n"  # line 9
    "            return {returned}\n\n"
    "    async def place(self, order: dict) -> None:\n"
    "{caller}"
)


def _publisher(returned: str, caller: str) -> str:
    return _PUBLISHER.replace("{returned}", returned).replace("{caller}", caller)


def test_a_status_test_returned_to_a_caller_that_drops_it_is_reported() -> None:
    source = _publisher("response.status_code in (200, 204)", "        await self._send(order)\n")
    assert _findings(source, "DAPR036") == [(9, 30)]


def test_a_status_test_the_caller_acts_on_is_quiet() -> None:
    caller = "        if not await self._send(order):\n            raise RuntimeError('not sent')\n"
    assert _findings(_publisher("response.status_code == 204", caller), "DAPR036") == []


def test_a_response_handed_to_a_checking_call_is_quiet() -> None:
    source = _publisher("_ok(response)", "        await self._send(order)\n")
    assert _findings(source, "DAPR036") == []
