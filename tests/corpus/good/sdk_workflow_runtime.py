"""The workflow runtime used the way the SDK defines it: decorators of a WorkflowRuntime
instance, a RetryPolicy object, data serialised before it is sent, and the runtime started and
stopped with plain calls."""

from __future__ import annotations

import json
from datetime import timedelta

from dapr.aio.clients import DaprClient
from dapr.clients.grpc._request import TransactionalStateOperation, TransactionOperationType
from dapr.ext.workflow import (
    DaprWorkflowContext,
    RetryPolicy,
    WorkflowActivityContext,
    WorkflowRuntime,
)
from fastapi import FastAPI

app = FastAPI()
runtime = WorkflowRuntime()
RETRY = RetryPolicy(first_retry_interval=timedelta(seconds=1), max_number_of_attempts=3)


@runtime.activity(name="notify")
def notify(ctx: WorkflowActivityContext, sku: str) -> str:
    return sku


@runtime.workflow(name="restock")
def restock(ctx: DaprWorkflowContext, sku: str):
    return (yield ctx.call_activity(notify, input=sku, retry_policy=RETRY))


async def reserve(client: DaprClient, sku: str) -> None:
    await client.invoke_method("stock", "reserve", data=json.dumps({"sku": sku}))


async def clear(client: DaprClient, key: str) -> None:
    operation = TransactionalStateOperation(key, operation_type=TransactionOperationType.delete)
    await client.execute_state_transaction("statestore", [operation])


@app.on_event("startup")
def startup() -> None:
    runtime.start()


@app.on_event("shutdown")
def shutdown() -> None:
    runtime.shutdown()
