"""Routes over the helpers of store.py: each update and claim races with a concurrent one."""

from __future__ import annotations

from dapr.aio.clients import DaprClient
from fastapi import Depends, FastAPI

from .store import Carts, get_carts, mark_seen, seen

app = FastAPI()
client = DaprClient()


@app.post("/carts/{cart_id}/items")
async def add_item(cart_id: str, item: str, carts: Carts = Depends(get_carts)) -> int:
    items = await carts.load(cart_id)
    items.append(item)
    await carts.save(cart_id, items)  # expect: DAPR016
    return len(items)


@app.delete("/carts/{cart_id}/items/{item}")
async def remove_item(cart_id: str, item: str) -> None:
    carts = get_carts()
    items = [kept for kept in await carts.load(cart_id) if kept != item]
    await carts.save(cart_id, items)  # expect: DAPR016


@app.post("/payments/{payment_id}")
async def pay_once(payment_id: str) -> bool:
    if await seen(client, payment_id):
        return False
    await mark_seen(client, payment_id)  # expect: DAPR017
    return True
