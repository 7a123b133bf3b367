"""Delivery and client rules judged by what daprd and the SDK do, not by the code's shape (DAPR001,
DAPR032, DAPR033, DAPR036): each new finding and each case that must stay quiet."""

from __future__ import annotations

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
