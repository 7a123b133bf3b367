"""A consumer that trusts every field of its events: a publisher that renames one makes each
delivery fail, and Dapr delivers the same message again and again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI

app = FastAPI()
dapr_app = DaprApp(app)


@dataclass
class Restock:
    sku: str
    quantity: int


async def adjust_stock(sku: str, delta: int) -> None:
    """Stands for the inventory write."""


@dapr_app.subscribe(pubsub="orderpubsub", topic="reservations")
async def on_reservation(event: dict[str, Any]) -> dict[str, str]:
    item = event["data"]
    await adjust_stock(item["sku"], -1)  # expect: DAPR007
    return {"status": "SUCCESS"}


@dapr_app.subscribe(pubsub="orderpubsub", topic="restocks")
async def on_restock(event: dict[str, Any]) -> dict[str, str]:
    restock = Restock(**event["data"])  # expect: DAPR006
    await adjust_stock(restock.sku, restock.quantity)
    return {"status": "SUCCESS"}
