"""Orders stored, then announced through a helper of another module whose failure is only
logged: the order is kept and its event lost. Use instead: let the error reach the caller, or
save the order and its event in one state transaction through Dapr's outbox."""

from __future__ import annotations

import logging

from dapr.aio.clients import DaprClient

from .events import publish_order_placed

log = logging.getLogger(__name__)
ORDERS: dict[str, str] = {}


async def place_order(client: DaprClient, order_id: str) -> str:
    ORDERS[order_id] = "placed"
    try:
        await publish_order_placed(client, order_id)
    except Exception:  # expect: DAPR036
        log.exception("order event not sent")
    return order_id


async def place_order_or_fail(client: DaprClient, order_id: str) -> str:
    ORDERS[order_id] = "placed"
    await publish_order_placed(client, order_id)
    return order_id
