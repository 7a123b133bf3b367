"""The same order service with one client of each kind for the process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dapr.ext.workflow as wf
from fastapi import FastAPI

from .flows import order_flow, runtime

workflows = wf.DaprWorkflowClient()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime.start()
    yield
    runtime.shutdown()
    workflows.close()


app = FastAPI(lifespan=lifespan)


@app.post("/orders/{order_id}")
def start(order_id: str) -> dict[str, str]:
    instance = workflows.schedule_new_workflow(order_flow, input=order_id, instance_id=order_id)
    return {"instance_id": instance}
