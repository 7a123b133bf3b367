"""Orders on an APIRouter: typed CloudEvent subscription, state transaction, output binding."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Literal

from dapr.aio.clients import DaprClient
from dapr.clients.grpc._request import TransactionalStateOperation, TransactionOperationType
from dapr.ext.fastapi import DaprApp
from fastapi import APIRouter, Depends, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)
router = APIRouter(prefix="/orders", tags=["orders"])


class OrderLine(BaseModel):
    sku: str
    quantity: int = Field(gt=0)


class OrderSubmitted(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: str
    lines: list[OrderLine]


class OrderEvent(BaseModel):
    """The CloudEvent envelope Dapr delivers, strict about `data` only."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: str = "com.dapr.event.sent"
    data: OrderSubmitted


class Accepted(BaseModel):
    order_id: str
    state: Literal["accepted"] = "accepted"


async def answer_drop(request: Request, exc: Exception) -> JSONResponse:
    log.warning("dropping undeliverable message on %s: %s", request.url.path, exc)
    return JSONResponse({"status": "DROP"}, status_code=status.HTTP_200_OK)


def get_dapr(request: Request) -> DaprClient:
    return request.app.state.dapr


Dapr = Annotated[DaprClient, Depends(get_dapr)]


def create_app() -> FastAPI:
    app = FastAPI()
    app.add_exception_handler(RequestValidationError, answer_drop)
    app.include_router(router)
    dapr_app = DaprApp(app)

    @dapr_app.subscribe(pubsub="pubsub", topic="orders", dead_letter_topic="orders-dead")
    async def on_order(event: OrderEvent, request: Request) -> dict[str, str]:
        client: DaprClient = request.app.state.dapr
        operations = [
            TransactionalStateOperation(
                key=f"order-{event.data.order_id}",
                data=event.data.model_dump_json(),
                operation_type=TransactionOperationType.upsert,
            ),
            TransactionalStateOperation(
                key=f"seen-{event.id}",
                data="1",
                operation_type=TransactionOperationType.upsert,
            ),
        ]
        await client.execute_state_transaction("statestore", operations)
        return {"status": "SUCCESS"}

    return app


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def submit_order(order: OrderSubmitted, client: Dapr) -> Accepted:
    await client.publish_event(
        "pubsub",
        "orders",
        order.model_dump_json(),
        data_content_type="application/json",
        publish_metadata={"cloudevent.id": f"order-{order.order_id}"},
    )
    await client.invoke_binding(
        "order-archive", "create", json.dumps(order.model_dump()), {"key": order.order_id}
    )
    return Accepted(order_id=order.order_id)
