"""Inventory with optimistic concurrency, first-write claims, SDK publishing and one-off jobs."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import httpx
from dapr.aio.clients import DaprClient, Job
from dapr.aio.clients.health import DaprHealth
from dapr.clients.exceptions import DaprInternalError
from dapr.clients.grpc._state import Concurrency, StateOptions
from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, Request
from google.protobuf.any_pb2 import Any as GrpcAny
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)
STORE = "statestore"
FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)
RETRIES = 3


class OrderPlaced(BaseModel):
    order_id: str
    sku: str
    quantity: int


class OutOfStock(Exception):
    pass


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await DaprHealth.wait_for_sidecar()
    async with DaprClient() as client, httpx.AsyncClient(timeout=5.0) as http:
        app.state.dapr = client
        app.state.http = http
        sweep = Job(name="sweep", schedule="@every 30s", ttl="24h")
        await client.schedule_job(sweep, overwrite=True)
        yield


app = FastAPI(lifespan=lifespan)
dapr_app = DaprApp(app)


def sidecar_url(path: str, port: int | None = None) -> str:
    port = port or int(os.environ["DAPR_HTTP_PORT"])
    return f"http://127.0.0.1:{port}/v1.0/{path}"


async def reserve(client: DaprClient, order: OrderPlaced) -> None:
    """Read-modify-write against the ETag read with the item; re-read when another won."""
    for _ in range(RETRIES):
        item = await client.get_state(STORE, order.sku)
        stock = json.loads(item.data or b'{"available": 0}')
        if stock["available"] < order.quantity:
            raise OutOfStock(order.sku)
        stock["available"] -= order.quantity
        try:
            await client.save_state(STORE, order.sku, json.dumps(stock), etag=item.etag)
        except DaprInternalError:
            log.info("stock of %s changed meanwhile, reading it again", order.sku)
            continue
        return
    raise RuntimeError(f"stock of {order.sku} kept changing")


def claim_key(event_id: str) -> str:
    return f"claim:{event_id}"


async def claim(client: DaprClient, event_id: str) -> bool:
    """Insert-only claim: the store refuses a second one, whichever replica tries."""
    key = claim_key(event_id)
    current = await client.get_state(STORE, key)
    if current.data:
        return False
    try:
        await client.save_state(
            STORE, key, "1", options=FIRST_WRITE, state_metadata={"ttlInSeconds": "86400"}
        )
    except DaprInternalError:
        return False
    return True


async def announce(client: DaprClient, order: OrderPlaced) -> None:
    event = {
        "specversion": "1.0",
        "id": order.order_id,
        "source": "inventory",
        "type": "stock.reserved",
        "datacontenttype": "application/json",
        "data": order.model_dump(),
    }
    await client.publish_event(
        "pubsub", "stock", json.dumps(event), data_content_type="application/cloudevents+json"
    )


async def remind_later(client: DaprClient, order: OrderPlaced) -> None:
    data = GrpcAny(value=order.model_dump_json().encode())
    job = Job(name=f"recheck-{order.order_id}", due_time="10m", data=data)
    await client.schedule_job(job, overwrite=True)


@dapr_app.subscribe(pubsub="pubsub", topic="orders")
async def on_order(request: Request) -> dict[str, str]:
    envelope = await request.json()
    try:
        order = OrderPlaced.model_validate(envelope.get("data"))
    except ValidationError:
        return {"status": "DROP"}
    client: DaprClient = request.app.state.dapr
    event_id = str(envelope.get("id"))
    try:
        if not await claim(client, event_id):
            return {"status": "SUCCESS"}
    except (grpc.RpcError, DaprInternalError):
        return {"status": "RETRY"}
    try:
        await reserve(client, order)
        await announce(client, order)
        await remind_later(client, order)
    except OutOfStock:
        return {"status": "DROP"}
    except (grpc.RpcError, DaprInternalError, RuntimeError):
        # Released, so that the redelivery does the work instead of skipping it.
        await client.delete_state(STORE, claim_key(event_id))
        return {"status": "RETRY"}
    return {"status": "SUCCESS"}


@app.post("/job/{name}")
async def job_trigger(name: str, request: Request) -> dict[str, str]:
    http: httpx.AsyncClient = request.app.state.http
    response = await http.get(sidecar_url("metadata"))
    log.info("job %s ran; sidecar answered %d", name, response.status_code)
    return {"status": "done"}
