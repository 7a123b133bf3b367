"""The app module of a service whose subscription routes hand the whole request to handlers in
another module and answer with what those return, as many agent-built services are laid out."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from service.bad.delegated_delivery.events import (
    count_report,
    handle_audit,
    handle_order,
    handle_refund,
    handle_report,
    record_shipment,
)

app = FastAPI(title="orders")


@app.get("/dapr/subscribe")
async def subscribe() -> list[dict[str, Any]]:
    return [
        {"pubsubname": "pubsub", "topic": "orders", "route": "/events/orders"},
        {"pubsubname": "pubsub", "topic": "refunds", "route": "/events/refunds"},
        {"pubsubname": "pubsub", "topic": "audit", "route": "/events/audit"},
        {"pubsubname": "pubsub", "topic": "shipments", "route": "/events/shipments"},
    ]


@app.post("/events/orders")
async def on_order(request: Request) -> dict[str, str]:
    return await handle_order(request)


@app.post("/events/refunds")
async def on_refund(request: Request) -> dict[str, str]:
    return await handle_refund(request)


@app.post("/events/audit")
async def on_audit(request: Request) -> dict[str, str]:
    return await handle_audit(request)


@app.post("/events/shipments")
async def on_shipment(request: Request) -> dict[str, str]:
    envelope = await request.json()
    await record_shipment(envelope)
    return {"status": "SUCCESS"}


# A route no subscription delivers to: an operator's own call, answered as it likes.
@app.post("/reports")
async def on_report(request: Request) -> dict[str, str]:
    count_report(request.headers.get("x-report-id", ""))
    return await handle_report(request)
