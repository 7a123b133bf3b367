"""The workflow service: starts the fulfilment of a paid order."""

from __future__ import annotations

from typing import Any

import dapr.ext.workflow as wf
from dapr.ext.workflow.aio import DaprWorkflowClient
from fastapi import APIRouter, FastAPI, Request

wfr = wf.WorkflowRuntime()
router = APIRouter()


@wfr.workflow(name="fulfil")
def fulfil(ctx: wf.DaprWorkflowContext, payment: dict[str, Any]) -> dict[str, Any]:
    return payment


@router.post("/workflows/fulfilment")
async def start_fulfilment(request: Request) -> dict[str, str]:
    body: dict[str, Any] = await request.json()
    workflows: DaprWorkflowClient = request.app.state.workflows
    # The delivery's event id names the workflow: a redelivery finds the one it started.
    instance = f"fulfil-{body['event_id']}"
    if await workflows.get_workflow_state(instance) is None:
        await workflows.schedule_new_workflow(fulfil, input=body["payment"], instance_id=instance)
    return {"instance": instance}


app = FastAPI()
app.include_router(router)
