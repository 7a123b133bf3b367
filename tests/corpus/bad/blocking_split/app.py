"""Async routes over the synchronous store of store.py: each call stalls the event loop."""

from __future__ import annotations

from fastapi import FastAPI

from .store import OrderStore, get_store

app = FastAPI()
orders = OrderStore()


@app.get("/orders/{order_id}")
async def read_order(order_id: str) -> dict[str, str]:
    return {"status": orders.load(order_id).decode()}  # expect: DAPR004


@app.post("/orders/{order_id}/paid")
async def mark_paid(order_id: str) -> None:
    store = get_store()
    store.save(order_id, "paid")  # expect: DAPR004


@app.post("/orders/{order_id}/archive")
async def archive(order_id: str) -> None:
    get_store().client.delete_state("statestore", order_id)
