"""A FastAPI service with plain `def` routes on the synchronous client.

FastAPI runs `def` routes in its thread pool, so the blocking gRPC calls never touch the event
loop; the one `async def` route talks to no sidecar. The client is created once and closed on
shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dapr.clients import DaprClient
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel


class Order(BaseModel):
    order_id: str
    quantity: int


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The sync constructor waits for the sidecar; in a thread it blocks no request.
    app.state.dapr = await asyncio.to_thread(DaprClient)
    try:
        yield
    finally:
        app.state.dapr.close()


app = FastAPI(lifespan=lifespan)


@app.post("/orders")
def create_order(order: Order, request: Request) -> dict[str, str]:
    client: DaprClient = request.app.state.dapr
    client.save_state("statestore", order.order_id, order.model_dump_json())
    return {"order_id": order.order_id}


@app.get("/orders/{order_id}")
def read_order(order_id: str, request: Request) -> Order:
    client: DaprClient = request.app.state.dapr
    item = client.get_state("statestore", order_id)
    if not item.data:
        raise HTTPException(status_code=404, detail="no such order")
    return Order.model_validate_json(item.data)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
