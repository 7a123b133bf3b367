"""Delivery handlers handed the route's request: judged as the routes that answer with them; and
payload helpers a delivered route awaits with the message's data before it answers SUCCESS,
judged as that route's own work (a failure there fails the delivery)."""

from __future__ import annotations

import logging
from typing import Any

from dapr.aio.clients import DaprClient

from fastapi import Request
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)
dapr = DaprClient()
_shipped: set[str] = set()
_reports: set[str] = set()


class Order(BaseModel):
    order_id: str
    amount_cents: int


class Refund(BaseModel):
    refund_id: str


class Payment(BaseModel):
    payment_id: str
    amount_cents: int


async def handle_order(request: Request) -> dict[str, str]:
    envelope = await request.json()
    order = Order.model_validate(envelope.get("data"))  # expect: DAPR006
    await request.app.state.dapr.save_state("statestore", order.order_id, order.model_dump_json())
    return {"status": "SUCCESS"}


async def handle_refund(request: Request) -> dict[str, str]:
    envelope = await request.json()
    try:
        refund = Refund.model_validate(envelope.get("data"))
    except ValidationError:
        return {"status": "DROP"}
    try:
        await request.app.state.dapr.invoke_method("ledger", "refund", refund.model_dump_json())
    except Exception:  # expect: DAPR033
        log.exception("refund %s not booked", refund.refund_id)
    return {"status": "SUCCESS"}


async def record_failure(request: Request, error: str) -> None:
    await request.app.state.dapr.save_state("statestore", "audit-failures", error)


async def handle_audit(request: Request) -> dict[str, str]:
    envelope = await request.json()
    try:
        await request.app.state.dapr.invoke_method("audit", "append", envelope.get("data"))
    except Exception as exc:
        # Handed to the service's own failure record: not forgotten.
        await record_failure(request, str(exc))
    return {"status": "SUCCESS"}


async def handle_report(request: Request) -> dict[str, str]:
    body = await request.json()
    report = Order.model_validate(body)
    return {"order": report.order_id}


async def record_shipment(envelope: dict[str, object]) -> None:
    shipment_id = str(envelope.get("id", ""))
    if shipment_id in _shipped:  # expect: DAPR018
        return
    _shipped.add(shipment_id)
    log.info("shipment %s recorded", shipment_id)


def count_report(report_id: str) -> int:
    if report_id not in _reports:
        _reports.add(report_id)
    return len(_reports)


async def process_payment(data: dict[str, Any]) -> None:
    payment = Payment.model_validate(data)  # expect: DAPR006
    await dapr.save_state("statestore", payment.payment_id, payment.model_dump_json())


async def process_invoice(data: dict[str, Any]) -> None:
    invoice_id = data["invoice_id"]  # expect: DAPR007
    await dapr.save_state("statestore", f"invoice-{invoice_id}", "issued")


async def process_credit(data: dict[str, Any]) -> None:
    payment = Payment.model_validate(data)
    await dapr.save_state("statestore", f"credit-{payment.payment_id}", payment.model_dump_json())
