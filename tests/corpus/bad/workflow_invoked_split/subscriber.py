"""Hands each successful payment to the workflow service."""

from __future__ import annotations

import json
from typing import Any

from dapr.aio.clients import DaprClient
from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, Request

app = FastAPI()
dapr_app = DaprApp(app)


@dapr_app.subscribe(pubsub="pubsub", topic="payment-succeeded")
async def on_payment(request: Request) -> dict[str, str]:
    event: dict[str, Any] = await request.json()
    dapr: DaprClient = request.app.state.dapr
    await dapr.invoke_method(
        "workflow-service",
        "workflows/fulfilment",
        json.dumps({"event_id": event.get("id"), "payment": event.get("data")}),
        http_verb="POST",
    )
    return {"status": "SUCCESS"}
