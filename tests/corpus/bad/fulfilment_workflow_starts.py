"""Starts a fulfilment workflow for each paid order, and a settlement workflow each night."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import dapr.ext.workflow as wf
from dapr.ext.workflow.aio import DaprWorkflowClient
from fastapi import FastAPI, Request
from pydantic import BaseModel, ValidationError


class Payment(BaseModel):
    order_id: str
    cents: int


wfr = wf.WorkflowRuntime()


@wfr.workflow(name="fulfil_order")
def fulfil_order(ctx: wf.DaprWorkflowContext, payment: dict[str, Any]) -> dict[str, Any]:
    return payment


@wfr.workflow(name="settle_day")
def settle_day(ctx: wf.DaprWorkflowContext, day: str) -> str:
    return day


app = FastAPI()
workflows = DaprWorkflowClient()


@app.get("/dapr/subscribe")
async def subscribe() -> list[dict[str, str]]:
    return [{"pubsubname": "pubsub", "topic": "payments", "route": "/events/payments"}]


@app.post("/events/payments")
async def on_payment(request: Request) -> dict[str, str]:
    event = await request.json()
    try:
        payment = Payment.model_validate(event.get("data"))
    except ValidationError:
        return {"status": "DROP"}
    instance_id = f"fulfil-{payment.order_id}-{uuid.uuid4().hex[:6]}"
    await workflows.schedule_new_workflow(  # expect: DAPR044
        fulfil_order, input=payment.model_dump(), instance_id=instance_id
    )
    return {"status": "SUCCESS"}


async def start_settlement() -> str:
    return await workflows.schedule_new_workflow(  # expect: DAPR044
        settle_day, input=datetime.now(UTC).date().isoformat()
    )


@app.post("/job/nightly-settlement")
async def nightly_settlement() -> dict[str, str]:
    instance = await start_settlement()
    return {"instance": instance}
