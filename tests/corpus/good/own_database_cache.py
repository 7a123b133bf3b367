"""A service keeping its records in its own PostgreSQL and a rate limit in its own Redis."""

from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from fastapi import FastAPI, HTTPException

stores: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(app: FastAPI):
    stores["db"] = await asyncpg.create_pool(dsn="postgresql://orders@db/orders")
    stores["cache"] = aioredis.Redis(host="cache")
    yield
    await stores["db"].close()
    await stores["cache"].aclose()


app = FastAPI(lifespan=lifespan)


@app.get("/orders/{order_id}")
async def read_order(order_id: str) -> dict[str, str]:
    if await stores["cache"].incr(f"reads:{order_id}") > 100:
        raise HTTPException(status_code=429, detail="too many reads")
    row = await stores["db"].fetchrow("SELECT status FROM orders WHERE id = $1", order_id)
    if row is None:
        raise HTTPException(status_code=404, detail="no such order")
    return {"id": order_id, "status": row["status"]}
