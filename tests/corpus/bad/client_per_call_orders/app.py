"""An order service whose clients live for one call each."""

from __future__ import annotations

import dapr.ext.workflow as wf
from fastapi import FastAPI

from .flows import order_flow

app = FastAPI()


@app.post("/orders/{order_id}")
def start(order_id: str) -> dict[str, str]:
    client = wf.DaprWorkflowClient()  # expect: DAPR008
    instance = client.schedule_new_workflow(order_flow, input=order_id, instance_id=order_id)
    return {"instance_id": instance}
