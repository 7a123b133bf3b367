"""A subscriber in the style of Dapr's official Python pub/sub quickstart (FastAPI variant).

Synchronous handler, `DaprApp.subscribe`, an envelope model with every field required, no
idempotency: the baseline the generated consumer is measured against, and the harness's own
smoke-test app.
The pub/sub component and topic come from PUBSUB_NAME and TOPIC_NAME.
"""

import os
import time

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI
from pydantic import BaseModel

PUBSUB = os.environ.get("PUBSUB_NAME", "pubsub")
TOPIC = os.environ.get("TOPIC_NAME", "orders")

app = FastAPI()
dapr_app = DaprApp(app)
received: list[dict] = []
handler_seconds: list[float] = []


class CloudEvent(BaseModel):
    datacontenttype: str
    source: str
    topic: str
    pubsubname: str
    data: dict
    id: str
    specversion: str
    tracestate: str
    type: str
    traceid: str


@dapr_app.subscribe(pubsub=PUBSUB, topic=TOPIC)
def orders_subscriber(event: CloudEvent) -> dict:
    start = time.perf_counter()
    received.append(
        {"id": event.id, "type": event.type, "source": event.source, "data": event.data}
    )
    handler_seconds.append(time.perf_counter() - start)
    return {"success": True}


@app.get("/received")
def list_received() -> dict:
    return {"count": len(received), "events": received[-100:], "handler_seconds": handler_seconds}


@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True}
