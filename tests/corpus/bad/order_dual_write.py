"""An order API that stores the order, then announces it: two sidecar calls, no outbox."""

from __future__ import annotations

from typing import Annotated, Literal

from dapr.aio.clients import DaprClient
from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict

router = APIRouter(prefix="/orders", tags=["orders"])


class OrderSubmitted(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: str
    total: float


class Accepted(BaseModel):
    order_id: str
    state: Literal["accepted"] = "accepted"


def get_dapr(request: Request) -> DaprClient:
    return request.app.state.dapr


Dapr = Annotated[DaprClient, Depends(get_dapr)]


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def submit_order(order: OrderSubmitted, client: Dapr) -> Accepted:
    await client.save_state("statestore", f"order-{order.order_id}", order.model_dump_json())
    await client.publish_event(  # expect: DAPR055
        "pubsub",
        "orders",
        order.model_dump_json(),
        data_content_type="application/json",
        publish_metadata={"cloudevent.id": f"order-{order.order_id}"},
    )
    return Accepted(order_id=order.order_id)
