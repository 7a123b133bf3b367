"""Batches of order events published in bulk: one route drops daprd's answer, one keeps it in a
name it only logs, and one reads which entries failed and asks the caller to send them again."""

import logging

from dapr.aio.clients import DaprClient
from dapr.clients import BulkPublishEntry
from fastapi import FastAPI, HTTPException

log = logging.getLogger(__name__)
app = FastAPI()
client = DaprClient()


def entries(orders: list[dict]) -> list[BulkPublishEntry]:
    return [
        BulkPublishEntry(
            event=str(order), content_type="application/json", entry_id=str(order["id"])
        )
        for order in orders
    ]


@app.post("/orders/bulk")
async def post_orders(orders: list[dict]) -> dict:
    await client.publish_events("pubsub", "orders", entries(orders))  # expect: DAPR051
    return {"accepted": len(orders)}


@app.post("/orders/bulk-logged")
async def post_orders_logged(orders: list[dict]) -> dict:
    answer = await client.publish_events("pubsub", "orders", entries(orders))  # expect: DAPR051
    log.info("bulk publish answered %s", answer)
    return {"accepted": len(orders)}


@app.post("/orders/bulk-checked")
async def post_orders_checked(orders: list[dict]) -> dict:
    answer = await client.publish_events("pubsub", "orders", entries(orders))
    if answer.failed_entries:
        failed = [entry.entry_id for entry in answer.failed_entries]
        raise HTTPException(503, {"failed": failed})
    return {"accepted": len(orders)}
