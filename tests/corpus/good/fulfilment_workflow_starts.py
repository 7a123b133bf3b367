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
    # One workflow per order: a redelivery finds the one it started.
    instance_id = f"fulfil-{payment.order_id}"
    if await workflows.get_workflow_state(instance_id) is None:
        await workflows.schedule_new_workflow(
            fulfil_order, input=payment.model_dump(), instance_id=instance_id
        )
    return {"status": "SUCCESS"}


async def start_settlement(day: str) -> str:
    instance_id = f"settle-{day}"
    if await workflows.get_workflow_state(instance_id) is None:
        await workflows.schedule_new_workflow(settle_day, input=day, instance_id=instance_id)
    return instance_id


@app.post("/job/nightly-settlement")
async def nightly_settlement() -> dict[str, str]:
    # The day names the settlement: a trigger delivered twice settles it once.
    return {"instance": await start_settlement(datetime.now(UTC).date().isoformat())}


@app.post("/settlements/replay")
async def replay() -> dict[str, str]:
    # An operator's request, not a delivery: each one asks for a new run.
    instance = await workflows.schedule_new_workflow(
        settle_day, input="replay", instance_id=f"replay-{uuid.uuid4()}"
    )
    return {"instance": instance}
