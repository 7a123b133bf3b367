"""The app module of a service whose subscription routes hand the whole request to handlers in
another module and answer with what those return, as many agent-built services are laid out."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from pydantic import ValidationError

from service.bad.delegated_delivery.events import (
    count_report,
    process_credit,
    process_invoice,
    process_payment,
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
        {"pubsubname": "pubsub", "topic": "payments", "route": "/events/payments"},
        {"pubsubname": "pubsub", "topic": "invoices", "route": "/events/invoices"},
        {"pubsubname": "pubsub", "topic": "credits", "route": "/events/credits"},
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


@app.post("/events/payments")
async def on_payment(request: Request) -> dict[str, str]:
    envelope = await request.json()
    await process_payment(envelope["data"])
    return {"status": "SUCCESS"}


@app.post("/events/invoices")
async def on_invoice(request: Request) -> dict[str, str]:
    data = (await request.json()).get("data", {})
    await process_invoice(data)
    return {"status": "SUCCESS"}


# The route answers the helper's validation error itself: the helper's work is guarded.
@app.post("/events/credits")
async def on_credit(request: Request) -> dict[str, str]:
    envelope = await request.json()
    try:
        await process_credit(envelope["data"])
    except ValidationError:
        return {"status": "DROP"}
    return {"status": "SUCCESS"}


# A route no subscription delivers to: an operator's own call, answered as it likes.
@app.post("/reports")
async def on_report(request: Request) -> dict[str, str]:
    count_report(request.headers.get("x-report-id", ""))
    return await handle_report(request)
