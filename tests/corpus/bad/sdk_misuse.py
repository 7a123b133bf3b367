"""SDK calls that look right and fail when they run: a decorator imported from the workflow
module, a dict handed over as invocation data, awaited synchronous runtime calls, a retry policy
and a transaction operation given as plain data."""

from __future__ import annotations

from dapr.aio.clients import DaprClient
from dapr.clients.grpc._request import TransactionalStateOperation
from dapr.ext.workflow import DaprWorkflowContext, WorkflowRuntime, activity  # expect: DAPR023
from fastapi import FastAPI

app = FastAPI()
runtime = WorkflowRuntime()


@activity
def notify(ctx, sku: str) -> None:
    """Stands for the notification."""


@runtime.workflow(name="restock")
def restock(ctx: DaprWorkflowContext, sku: str):
    yield ctx.call_activity("order_stock", input=sku)
    yield ctx.call_activity(notify, input=sku, retry_policy={"first": 1})  # expect: DAPR023


async def reserve(client: DaprClient, sku: str) -> None:
    await client.invoke_method("stock", "reserve", data={"sku": sku})  # expect: DAPR023


async def clear(client: DaprClient, key: str) -> None:
    operation = TransactionalStateOperation(key, operation_type="delete")  # expect: DAPR023
    await client.execute_state_transaction("statestore", [operation])


@app.on_event("startup")
async def startup() -> None:
    await runtime.start()  # expect: DAPR023
