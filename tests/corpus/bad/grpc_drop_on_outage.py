"""A dapr.ext.grpc subscriber that saves each order and answers DROP to every failure: a sidecar
or store outage throws the message away. Use instead: DROP for what cannot succeed, RETRY (or a
raised error) for the rest."""

import json

from cloudevents.sdk.event import v1
from dapr.clients import DaprClient
from dapr.clients.grpc._response import TopicEventResponse
from dapr.ext.grpc import App

app = App()
dapr = DaprClient()


@app.subscribe(pubsub_name="pubsub", topic="orders")
def on_order(event: v1.Event) -> TopicEventResponse:
    try:
        order = json.loads(event.Data())
        dapr.save_state("statestore", order["id"], json.dumps(order))
    except Exception:
        return TopicEventResponse("drop")  # expect: DAPR059
    return TopicEventResponse("success")
