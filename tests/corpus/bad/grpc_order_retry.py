"""A dapr.ext.grpc order consumer whose catch-all asks for every failure to be redelivered."""

from __future__ import annotations

import json
import logging

from cloudevents.sdk.event import v1
from dapr.clients.grpc._response import TopicEventResponse
from dapr.ext.grpc import App

logger = logging.getLogger("orders")
app = App()


@app.subscribe(pubsub_name="pubsub", topic="orders")
def on_order(event: v1.Event) -> TopicEventResponse:
    try:
        order = json.loads(event.Data())
        logger.info("order %s for %s", order["id"], order["customer"])
    except Exception:
        logger.exception("order event failed")
        return TopicEventResponse("retry")  # expect: DAPR032
    return TopicEventResponse("success")


@app.subscribe(pubsub_name="pubsub", topic="refunds")
def on_refund(event: v1.Event) -> TopicEventResponse:
    try:
        refund = json.loads(event.Data())
        logger.info("refund %s", refund["id"])
    except (KeyError, ValueError):
        # A refund that cannot be read never will be: dropped, not redelivered.
        return TopicEventResponse("drop")
    except Exception:
        return TopicEventResponse("retry")
    return TopicEventResponse("success")


if __name__ == "__main__":
    app.run(50051)
