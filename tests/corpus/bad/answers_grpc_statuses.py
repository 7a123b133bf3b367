"""gRPC subscription callbacks answering with statuses the SDK does not know."""

import logging

from dapr.clients.grpc._response import TopicEventResponse
from dapr.ext.grpc import App, SubscriptionMessage

log = logging.getLogger(__name__)
app = App()


@app.subscribe(pubsub_name="pubsub", topic="orders")
def on_order(event: SubscriptionMessage) -> TopicEventResponse:
    data = event.data()
    if not isinstance(data, dict):
        return TopicEventResponse("fail")  # expect: DAPR005
    log.info("order %s", data.get("id"))
    return TopicEventResponse("success")


@app.subscribe(pubsub_name="pubsub", topic="audit")
def on_audit(event: SubscriptionMessage) -> TopicEventResponse:
    log.info("audit %s", event.data())
    return TopicEventResponse("DROP")
