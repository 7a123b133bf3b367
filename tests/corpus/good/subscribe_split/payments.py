"""Payment events answered the way Dapr reads them: DROP for what never succeeds, RETRY for
what may, SUCCESS only when the work is done, and the idempotency mark written last."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from grpc.aio import AioRpcError
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)
router = APIRouter()


class Payment(BaseModel):
    payment_id: str
    amount_cents: int


@router.post("/payments")
async def on_payment(request: Request) -> dict[str, str]:
    envelope = await request.json()
    try:
        payment = Payment.model_validate(envelope.get("data"))
    except ValidationError:
        log.warning("dropping a payment that does not validate")
        return {"status": "DROP"}
    dapr = request.app.state.dapr
    try:
        await dapr.invoke_method("ledger", "credit", payment.model_dump_json())
        await dapr.save_state("statestore", f"processed-{payment.payment_id}", "1")
    except AioRpcError:
        log.exception("the sidecar call failed; Dapr will redeliver")
        return {"status": "RETRY"}
    return {"status": "SUCCESS"}
