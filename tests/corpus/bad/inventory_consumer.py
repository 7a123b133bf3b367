"""An inventory consumer as workshop code often writes it: state without ETags, dedupe in memory."""

from __future__ import annotations

import json
import logging

from dapr.aio.clients import DaprClient
from dapr.aio.clients.health import DaprHealth
from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, Request
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)
app = FastAPI()
dapr_app = DaprApp(app)
STORE = "statestore"
processed_ids: set[str] = set()


class OrderPlaced(BaseModel):
    order_id: str
    sku: str
    quantity: int


async def reserve(order: OrderPlaced) -> None:
    await DaprHealth.wait_for_sidecar()
    async with DaprClient() as client:  # expect: DAPR008
        item = await client.get_state(STORE, order.sku)
        stock = json.loads(item.data or b'{"available": 0}')
        stock["available"] -= order.quantity
        await client.save_state(STORE, order.sku, json.dumps(stock))  # expect: DAPR016


async def mark_shipped(client: DaprClient, order_id: str) -> None:
    done = await client.get_state(STORE, f"shipped-{order_id}")
    if done.data:
        return
    log.info("shipping %s", order_id)
    await client.save_state(STORE, f"shipped-{order_id}", "1")  # expect: DAPR017


@dapr_app.subscribe(pubsub="pubsub", topic="orders")
async def on_order(request: Request) -> dict[str, str]:
    try:
        order = OrderPlaced.model_validate((await request.json()).get("data"))
    except ValidationError:
        return {"status": "DROP"}
    if order.order_id in processed_ids:  # expect: DAPR018
        return {"status": "SUCCESS"}
    await reserve(order)
    processed_ids.add(order.order_id)
    return {"status": "SUCCESS"}
