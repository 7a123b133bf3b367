"""DAPR036 across modules: a `try` whose except only logs, around a helper of another module
that publishes through the sidecar and lets the failure reach its caller. The caller goes on as
if the event was sent; the finding is at its except, where the failure is dropped."""

from __future__ import annotations

import pytest

from tools.changes import FileChange
from tools.validate import check_changes

_HELPER = (
    "from dapr.aio.clients import DaprClient\n\n\n"
    "async def publish_order_placed(client: DaprClient, order_id: str) -> None:\n"
    "{body}"
)
_RAISES = "    await client.publish_event('pubsub', 'orders', order_id)\n"
_CALLER = (
    "import logging\n\n"
    "from dapr.aio.clients import DaprClient\n\n"
    "from shop.events import publish_order_placed\n\n"
    "log = logging.getLogger(__name__)\n\n\n"
    "async def place(client: DaprClient, order_id: str, orders: dict[str, str]) -> str:\n"
    "    orders[order_id] = 'placed'\n"
    "    try:\n"
    "        await publish_order_placed(client, order_id)\n"
    "    except Exception:\n"  # line 14
    "        log.exception('order event not sent')\n"
    "{after}"
    "    return order_id\n"
)


def _dapr036(helper_body: str, after: str = "") -> list[tuple[str, int]]:
    changes = [
        FileChange(path="shop/events.py", content=_HELPER.format(body=helper_body)),
        FileChange(path="shop/service.py", content=_CALLER.format(after=after)),
    ]
    report = check_changes(changes)
    return [(d.path, d.line) for d in report.diagnostics if d.rule == "DAPR036"]


def test_a_helpers_failed_publish_only_logged_by_its_caller_is_reported() -> None:
    assert _dapr036(_RAISES) == [("shop/service.py", 14)]


@pytest.mark.parametrize(
    "helper_body",
    [
        # The helper catches the failure itself and raises it again: it still reaches the caller.
        "    try:\n" + "    " + _RAISES + "    except Exception:\n        raise\n",
    ],
)
def test_a_failure_the_helper_raises_again_still_reaches_the_caller(helper_body: str) -> None:
    assert _dapr036(helper_body) == [("shop/service.py", 14)]


def test_a_helper_that_sends_nothing_is_quiet() -> None:
    assert _dapr036("    print(order_id)\n") == []


def test_a_caller_that_answers_the_failure_is_quiet() -> None:
    # The except no longer only logs: the failure changes what the function does.
    changes = [
        FileChange(path="shop/events.py", content=_HELPER.format(body=_RAISES)),
        FileChange(
            path="shop/service.py",
            content=_CALLER.format(after="").replace(
                "        log.exception('order event not sent')\n",
                "        log.exception('order event not sent')\n        raise\n",
            ),
        ),
    ]
    report = check_changes(changes)
    assert [d for d in report.diagnostics if d.rule == "DAPR036"] == []


def test_a_helper_of_the_same_module_is_followed_too() -> None:
    module = (
        _HELPER.format(body=_RAISES)
        + "\n\n"
        + _CALLER.format(after="").replace("from shop.events import publish_order_placed\n", "")
    )
    report = check_changes([FileChange(path="shop/service.py", content=module)])
    found = [(d.line, d.message) for d in report.diagnostics if d.rule == "DAPR036"]
    assert [line for line, _ in found] == [module.splitlines().index("    except Exception:") + 1]
    assert "(in `publish_order_placed`)" in found[0][1]
