"""A dapr.ext.grpc audit consumer that drops the helper's answer: the App then sends SUCCESS."""

from __future__ import annotations

from cloudevents.sdk.event import v1
from dapr.ext.grpc import App

from .audit import write_audit

app = App()


@app.subscribe(pubsub_name="pubsub", topic="audit")
def on_audit(event: v1.Event) -> None:
    write_audit(event.EventID(), event.Data())  # expect: DAPR033
