"""Payment events: every delivery-semantics mistake a reviewer finds in such handlers."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)
router = APIRouter()


class Payment(BaseModel):
    payment_id: str
    amount_cents: int


@router.post("/payments")
async def on_payment(request: Request) -> dict[str, str]:
    body = await request.json()
    try:
        payment = Payment(**body)  # expect: DAPR034
    except ValidationError:
        raise HTTPException(status_code=422, detail="bad payment") from None  # expect: DAPR031
    dapr = request.app.state.dapr
    await dapr.save_state("statestore", f"processed-{payment.payment_id}", "1")  # expect: DAPR035
    try:
        await dapr.invoke_method("ledger", "credit", payment.model_dump_json())
    except Exception:  # expect: DAPR033
        log.exception("ledger call failed")
    return {"status": "SUCCESS"}


@router.post("/refunds")
async def on_refund(request: Request) -> dict[str, str]:
    try:
        payment = Payment.model_validate((await request.json()).get("data"))
        await request.app.state.dapr.save_state("statestore", payment.payment_id, "refunded")
    except Exception:
        return {"status": "RETRY"}  # expect: DAPR032
    return {"status": "SUCCESS"}
