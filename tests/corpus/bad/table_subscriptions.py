"""Subscriptions listed by a comprehension over a module table, every route answered by one
shared handler that is told which topic it serves: a failure there is logged and acknowledged."""

import logging

from fastapi import FastAPI, Request

from corpus.ledger import Ledger

app = FastAPI()
log = logging.getLogger(__name__)
ledger = Ledger()

PUBSUB = "orders-pubsub"
TOPICS = [
    ("order-placed", "/events/order-placed"),
    ("order-paid", "/events/order-paid"),
    ("order-shipped", "/events/order-shipped"),  # expect: DAPR030
]


@app.get("/dapr/subscribe")
async def subscribe() -> list[dict]:
    return [{"pubsubname": PUBSUB, "topic": topic, "route": route} for topic, route in TOPICS]


async def handle(request: Request, topic: str) -> dict:
    event = await request.json()
    try:
        await ledger.record(topic, event["data"])
    except Exception:  # expect: DAPR033
        log.exception("could not record %s", topic)
    return {"status": "SUCCESS"}


@app.post("/events/order-placed")
async def on_placed(request: Request) -> dict:
    return await handle(request, "order-placed")


@app.post("/events/order-paid")
async def on_paid(request: Request) -> dict:
    return await handle(request, "order-paid")
