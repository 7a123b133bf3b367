"""DAPR023's parameter table against the installed SDK, and how the rule reads it."""

from __future__ import annotations

import pytest

from tools.validate.engine import analyze
from tools.validate.rules._sdk_table import TABLE, derive, render
from tools.validate.rules.sdk_signature import SdkSignature, modules, signatures


def test_the_committed_table_is_the_installed_sdk() -> None:
    pytest.importorskip("dapr")
    assert TABLE.read_text(encoding="utf-8") == render(derive()), (
        "sdk_signatures.json has drifted from the installed dapr SDK: run "
        "`python -m tools.validate.rules._sdk_table`"
    )


def test_the_two_subscribe_decorators_name_the_pubsub_differently() -> None:
    table = signatures()
    assert table["dapr.ext.fastapi.DaprApp"]["subscribe"]["positional"][:2] == ["pubsub", "topic"]
    assert table["dapr.ext.grpc.App"]["subscribe"]["positional"][:2] == ["pubsub_name", "topic"]
    assert "retry_policy" in table["dapr.clients.DaprClient"]["__init__"]["positional"]
    assert "retry_policy" not in table["dapr.aio.clients.DaprClient"]["__init__"]["positional"]


def _messages(source: str) -> list[str]:
    analysis = analyze("app/service.py", source, rules=(SdkSignature,))
    return [d.message for d in analysis.diagnostics]


_CLIENT = "from dapr.aio.clients import DaprClient\n\nasync def f(client: DaprClient) -> None:\n"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("client.get_state('s', 'k', {}, None, 'extra')", "takes 4 positional argument(s)"),
        ("client.get_state('s', 'k', key='k')", "gets `key` twice"),
        ("client.publish_event(pubsub_name='p', data='x')", "missing its required argument(s) "),
        ("client.get_job(job_name='n')", "has no parameter `job_name`"),
    ],
)
def test_argument_mistakes_are_named(call: str, expected: str) -> None:
    [message] = _messages(f"{_CLIENT}    await {call}\n")
    assert expected in message


@pytest.mark.parametrize(
    "call",
    [
        "client.get_state(*args)",  # the positional arguments are not visible
        "client.publish_event('p', 't', **options)",  # the required ones may be in there
        "client.save_state('s', 'k', 'v', None, None, {})",
        "client._channel.close()",  # private attributes are not the API
    ],
)
def test_what_cannot_be_seen_is_not_reported(call: str) -> None:
    assert _messages(f"{_CLIENT}    args, options = (), {{}}\n    await {call}\n") == []


def test_a_receiver_of_unknown_kind_is_not_checked() -> None:
    source = "async def f(client) -> None:\n    await client.save_state(store='s', key='k')\n"
    assert _messages(source) == []


def test_a_container_of_clients_has_the_container_s_methods() -> None:
    source = (
        "from dapr.clients import DaprClient\n\n"
        "class Sidecars:\n"
        "    def __init__(self) -> None:\n"
        "        self.clients: list[DaprClient] = []\n\n"
        "    def add(self, client: DaprClient) -> None:\n"
        "        self.clients.append(client)\n\n"
        "def close_all(clients: list[DaprClient]) -> None:\n"
        "    clients.clear()\n"
    )
    assert _messages(source) == []


def test_the_table_knows_modules_awaitables_and_literal_kinds() -> None:
    table = signatures()
    assert "workflow" in table["dapr.ext.workflow.WorkflowRuntime"]
    assert "workflow" not in modules()["dapr.ext.workflow"]
    assert "WorkflowRuntime" in modules()["dapr.ext.workflow"]
    assert table["dapr.ext.workflow.WorkflowRuntime"]["start"]["awaitable"] is False
    assert table["dapr.aio.clients.DaprClient"]["save_state"]["awaitable"] is True
    assert table["dapr.aio.clients.DaprClient"]["invoke_method"]["literals"]["data"] == [
        "bytes",
        "str",
    ]
    operation = table["dapr.clients.grpc._request.TransactionalStateOperation"]["__init__"]
    assert operation["literals"]["operation_type"] == []
