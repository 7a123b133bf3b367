"""A dapr.ext.grpc audit consumer answering RETRY when the helper says the write failed."""

from __future__ import annotations

from cloudevents.sdk.event import v1
from dapr.clients.grpc._response import TopicEventResponse
from dapr.ext.grpc import App

from .audit import write_audit

app = App()


@app.subscribe(pubsub_name="pubsub", topic="audit")
def on_audit(event: v1.Event) -> TopicEventResponse:
    if not write_audit(event.EventID(), event.Data()):
        return TopicEventResponse("retry")
    return TopicEventResponse("success")
