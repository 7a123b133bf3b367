"""Order events through a programmatic /dapr/subscribe, with routing rules and a dead-letter
topic."""

from __future__ import annotations

import logging
from typing import Any, Literal

from dapr.aio.clients import DaprClient
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

log = logging.getLogger(__name__)

app = FastAPI()


class OrderPlaced(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["order.placed"] = "order.placed"
    order_id: str
    amount_cents: int


class OrderEnvelope(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    data: OrderPlaced
    traceparent: str | None = None


@app.exception_handler(RequestValidationError)
async def drop_poison_messages(request: Request, exc: RequestValidationError) -> JSONResponse:
    # A payload that does not validate never will: drop it (to the dead-letter topic) instead of
    # answering 422.
    log.warning("dropping invalid message on %s: %s", request.url.path, exc.errors())
    return JSONResponse({"status": "DROP"})


@app.get("/dapr/subscribe")
async def subscriptions() -> list[dict[str, Any]]:
    return [
        {
            "pubsubname": "pubsub",
            "topic": "orders",
            "routes": {
                "rules": [{"match": 'event.type == "order.placed"', "path": "/orders/placed"}],
                "default": "/orders/unknown",
            },
            "deadLetterTopic": "orders-dlq",
        }
    ]


@app.post("/orders/placed")
async def order_placed(envelope: OrderEnvelope, request: Request) -> dict[str, str]:
    client: DaprClient = request.app.state.dapr
    if envelope.data.amount_cents <= 0:
        return {"status": "DROP"}
    await client.save_state(
        "statestore", f"order-{envelope.data.order_id}", envelope.data.model_dump_json()
    )
    return {"status": "SUCCESS"}


@app.post("/orders/unknown")
async def order_unknown(request: Request) -> dict[str, str]:
    log.info("ignoring event of an unknown type from %s", request.client)
    return {"status": "DROP"}
