"""Routes over the ETag-aware helpers of store.py."""

from __future__ import annotations

from dapr.aio.clients import DaprClient
from fastapi import Depends, FastAPI

from .store import Carts, audit, claim, get_carts, normalised, seen

app = FastAPI()
client = DaprClient()


@app.post("/carts/{cart_id}/items")
async def add_item(cart_id: str, item: str, carts: Carts = Depends(get_carts)) -> int:
    items, etag = await carts.load(cart_id)
    items.append(item)
    await carts.save(cart_id, items, etag)
    return len(items)


@app.get("/carts/{cart_id}")
async def show(cart_id: str) -> list[str]:
    key = normalised(cart_id)
    items, _ = await get_carts().load(key)
    audit(key, items)
    return items


@app.post("/payments/{payment_id}")
async def pay_once(payment_id: str) -> bool:
    if await seen(client, payment_id):
        return False
    await claim(client, payment_id)
    return True
