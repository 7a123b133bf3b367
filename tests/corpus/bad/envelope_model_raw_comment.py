"""A subscriber typing the whole CloudEvent, with a raw publish shown only in a comment."""

from __future__ import annotations

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI
from pydantic import BaseModel


class Shipment(BaseModel):
    order_id: str


class ShipmentEnvelope(BaseModel):
    id: str
    source: str
    type: str
    specversion: str
    data: Shipment
    traceid: str
    tracestate: str


app = FastAPI()
dapr_app = DaprApp(app)


# Try it: curl -X POST "localhost:3500/v1.0/publish/pubsub/shipments?metadata.rawPayload=false"
@dapr_app.subscribe(pubsub="pubsub", topic="shipments")
def on_shipment(event: ShipmentEnvelope) -> dict[str, str]:  # expect: DAPR034
    print(event.data.order_id)
    return {"status": "SUCCESS"}
