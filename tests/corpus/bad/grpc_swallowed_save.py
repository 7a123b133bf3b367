"""A dapr.ext.grpc order service: some callbacks lose a failed save or mark a message done
before its work, others answer for the failure or mark it last.

The gRPC App answers SUCCESS for a callback that returns nothing (or anything but a
TopicEventResponse) and RETRY for one that raises.
"""

from __future__ import annotations

import json
import logging

from cloudevents.sdk.event import v1
from dapr.clients import DaprClient
from dapr.clients.grpc._response import TopicEventResponse
from dapr.ext.grpc import App, BindingRequest

logger = logging.getLogger("orders")
app = App()
dapr = DaprClient()


@app.subscribe(pubsub_name="pubsub", topic="orders")
def on_order(event: v1.Event) -> None:
    order = json.loads(event.Data())
    try:
        dapr.save_state("orders", order["id"], json.dumps(order))
    except Exception:  # expect: DAPR033
        logger.exception("order %s not saved", order["id"])


@app.subscribe(pubsub_name="pubsub", topic="payments")
def on_payment(event: v1.Event) -> TopicEventResponse:
    payment = json.loads(event.Data())
    try:
        dapr.save_state("payments", payment["id"], json.dumps(payment))
    except Exception:
        logger.exception("payment %s not saved", payment["id"])
        return TopicEventResponse("success")  # expect: DAPR033
    return TopicEventResponse("success")


@app.subscribe(pubsub_name="pubsub", topic="refunds")
def on_refund(event: v1.Event) -> TopicEventResponse:
    refund = json.loads(event.Data())
    key = str(refund.get("id", ""))
    try:
        dapr.save_state("refunds", key, json.dumps(refund))
    except Exception:
        logger.exception("refund %s not saved", key)
        return TopicEventResponse("retry")
    return TopicEventResponse("success")


@app.subscribe(pubsub_name="pubsub", topic="invoices")
def on_invoice(event: v1.Event) -> None:
    invoice = json.loads(event.Data())
    try:
        dapr.save_state("invoices", invoice["id"], json.dumps(invoice))  # expect: DAPR007
    except Exception:
        logger.exception("invoice %s not saved", invoice["id"])
        raise


@app.subscribe(pubsub_name="pubsub", topic="returns")
def on_return(event: v1.Event) -> dict[str, str]:
    item = json.loads(event.Data())
    if "id" not in item:
        return {"status": "DROP"}  # expect: DAPR005
    logger.info("return %s", item["id"])
    return {"status": "SUCCESS"}  # expect: DAPR005


@app.subscribe(pubsub_name="pubsub", topic="shipments")
def on_shipment(event: v1.Event) -> None:
    shipment = json.loads(event.Data())
    dapr.save_state("orders", f"processed-{event.EventID()}", "1")  # expect: DAPR035
    dapr.publish_event(
        "pubsub", "labels", json.dumps(shipment), data_content_type="application/json"
    )


@app.subscribe(pubsub_name="pubsub", topic="deliveries")
def on_delivery(event: v1.Event) -> None:
    delivery = json.loads(event.Data())
    dapr.publish_event(
        "pubsub", "receipts", json.dumps(delivery), data_content_type="application/json"
    )
    dapr.save_state("orders", f"processed-{event.EventID()}", "1")


@app.binding("orders-queue")
def on_queued(request: BindingRequest) -> None:
    try:
        dapr.save_state("queued", "last", request.text())
    except Exception as error:  # expect: DAPR033
        logger.error("queued order not saved: %s", error)


if __name__ == "__main__":
    app.run(50051)
