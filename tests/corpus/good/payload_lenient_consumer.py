"""A consumer that reads its events leniently: optional fields with defaults, a key tested before
it is read, and a missing field answered with DROP so the message is not redelivered."""

from __future__ import annotations

import logging
from typing import Any

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI

log = logging.getLogger("shipping")
app = FastAPI()
dapr_app = DaprApp(app)


async def ship(order_id: str, carrier: str) -> None:
    """Stands for the shipping call."""


async def cancel(order_id: str) -> None:
    """Stands for the cancellation call."""


@dapr_app.subscribe(pubsub="orderpubsub", topic="shipments")
async def on_shipment(event: dict[str, Any]) -> dict[str, str]:
    data = event.get("data", {})
    carrier = data.get("carrier", "standard")
    if "order_id" in data:
        await ship(data["order_id"], carrier)
    log.info("shipment %s via %s", event["id"], carrier)
    return {"status": "SUCCESS"}


@dapr_app.subscribe(pubsub="orderpubsub", topic="cancellations")
async def on_cancellation(event: dict[str, Any]) -> dict[str, str]:
    try:
        await cancel(event["data"]["order_id"])
    except KeyError:
        log.warning("cancellation without a known order: dropped")
        return {"status": "DROP"}
    return {"status": "SUCCESS"}
