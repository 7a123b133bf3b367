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
    instance = await workflows.schedule_new_workflow(  # expect: DAPR044
        fulfil, input=body["payment"]
    )
    return {"instance": instance}


app = FastAPI()
app.include_router(router)
