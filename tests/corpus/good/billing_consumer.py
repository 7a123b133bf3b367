"""A billing consumer whose calls to other apps carry the key the callee claims."""

from __future__ import annotations

from dapr.aio.clients import DaprClient
from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, Request
from pydantic import BaseModel, ValidationError

app = FastAPI()
dapr_app = DaprApp(app)


class OrderPlaced(BaseModel):
    order_id: str
    customer: str
    cents: int


class Charge(BaseModel):
    order_id: str
    cents: int


class Receipt(BaseModel):
    customer: str
    cents: int


async def charge(dapr: DaprClient, order: OrderPlaced) -> None:
    # The order's id is in the body: the billing app charges each order once.
    body = Charge(order_id=order.order_id, cents=order.cents)
    await dapr.invoke_method(
        "billing", "charges", body.model_dump_json(), http_verb="POST", timeout=10
    )


async def send_receipt(dapr: DaprClient, event_id: str, order: OrderPlaced) -> None:
    receipt = Receipt(customer=order.customer, cents=order.cents)
    await dapr.invoke_method(
        "mailer",
        "receipts",
        receipt.model_dump_json(),
        metadata=(("idempotency-key", f"receipt-{event_id}"),),
        http_verb="POST",
        timeout=10,
    )


@dapr_app.subscribe(pubsub="pubsub", topic="orders")
async def on_order(request: Request) -> dict[str, str]:
    envelope = await request.json()
    try:
        order = OrderPlaced.model_validate(envelope.get("data"))
    except ValidationError:
        return {"status": "DROP"}
    dapr: DaprClient = request.app.state.dapr
    await charge(dapr, order)
    await send_receipt(dapr, str(envelope.get("id", order.order_id)), order)
    # A read of the customer's tier: repeating it changes nothing.
    await dapr.invoke_method("customers", f"tiers/{order.customer}", "", http_verb="GET")
    return {"status": "SUCCESS"}
