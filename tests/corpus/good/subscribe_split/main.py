"""Subscriptions listed in the app module, served by a router mounted under a prefix."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.good.subscribe_split import payments

app = FastAPI(title="orders")
app.include_router(payments.router, prefix="/api/v1")


@app.get("/dapr/subscribe")
async def subscribe() -> list[dict[str, Any]]:
    return [
        {
            "pubsubname": "pubsub",
            "topic": "payments",
            "route": "api/v1/payments",
            "deadLetterTopic": "payments-dlq",
        }
    ]
