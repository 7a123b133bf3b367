"""Async routes awaiting the async store; the synchronous helper runs in a worker thread."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from .store import OrderStore, audit_line

app = FastAPI()
orders = OrderStore()


@app.get("/orders/{order_id}")
async def read_order(order_id: str) -> dict[str, str]:
    return {"status": (await orders.load(order_id)).decode()}


@app.post("/orders/{order_id}/paid")
async def mark_paid(order_id: str) -> None:
    await orders.save(order_id, "paid")
    await asyncio.to_thread(audit_line, order_id, "paid")


@app.post("/orders/{order_id}/audit")
def audit(order_id: str) -> dict[str, str]:
    return {"status": audit_line(order_id, "audited")}  # a sync route: FastAPI's thread pool
