"""The app module of a service whose subscriptions are listed here and served by routers
elsewhere, as many agent-written services are laid out."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.bad.subscribe_split import payments

app = FastAPI(title="orders")
app.include_router(payments.router, prefix="/api/v1")
# shipping.router is never included; /disputes is served by nothing


@app.get("/dapr/subscribe")
async def subscribe() -> list[dict[str, Any]]:
    return [
        {"pubsubname": "pubsub", "topic": "payments", "route": "/api/v1/payments"},
        {"pubsubname": "pubsub", "topic": "refunds", "route": "/api/v1/refunds"},
        {"pubsubname": "pubsub", "topic": "disputes", "route": "/disputes"},  # expect: DAPR030
        {"pubsubname": "pubsub", "topic": "shipping", "route": "shipments"},  # expect: DAPR030
    ]
