"""What a first draft often looks like: every classic Dapr mistake in one service."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaProducer  # expect: DAPR002
from dapr.clients import DaprClient  # expect: DAPR001
from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
dapr_app = DaprApp(app)
producer = AIOKafkaProducer()
SIDECAR_URL = "http://localhost:3500/v1.0/publish/pubsub/orders"  # expect: DAPR013
APP_API_TOKEN = "9f8e7d6c5b4a3928"  # expect: DAPR014


class Order(BaseModel):
    order_id: str
    amount_cents: int


@dapr_app.subscribe(pubsub="pubsub", topic="orders")
def on_order(event: dict[str, Any]):
    order = event["data"]
    with DaprClient() as client:  # expect: DAPR008
        client.save_state("statestore", order["order_id"], json.dumps(order))  # expect: DAPR007


@dapr_app.subscribe(pubsub="pubsub", topic="payments")
async def on_payment(order: Order):  # expect: DAPR006, DAPR034
    if order.amount_cents < 0:
        return {"error": "negative amount"}, 500  # expect: DAPR005
    return {"status": "SUCCESS"}


async def publish_order(order: Order) -> None:
    with DaprClient() as client:  # expect: DAPR008
        client.publish_event("pubsub", "orders", order.model_dump_json())  # expect: DAPR009


async def reminder_loop() -> None:
    while True:  # expect: DAPR003
        await publish_order(Order(order_id="x", amount_cents=1))
        await asyncio.sleep(60)
