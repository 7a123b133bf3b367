"""A router mounted under /dapr whose GET /dapr/subscribe answers what a helper builds, the way
agent-built backends often keep their subscription table: the handlers it lists are deliveries."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request

from app.digests import next_digest, record_visit

log = logging.getLogger(__name__)
router = APIRouter(prefix="/dapr")


def subscription_table() -> list[dict[str, str]]:
    return [
        {"pubsubname": "events", "topic": "visits", "route": "/dapr/events/visits"},
        {"pubsubname": "events", "topic": "digests", "route": "/dapr/events/digests"},
    ]


@router.get("/subscribe")
async def subscriptions() -> list[dict[str, str]]:
    return subscription_table()


@router.post("/events/visits")
async def on_visit(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
        await record_visit(body["data"]["page"])  # expect: DAPR007
    except Exception:
        log.exception("visit not recorded")
        return {"status": "RETRY"}  # expect: DAPR032
    return {"status": "SUCCESS"}


@router.post("/events/digests")
async def on_digest(request: Request) -> dict[str, Any]:
    body = await request.json()
    user = body.get("data", {}).get("user")
    if not user:
        return {"status": "DROP"}
    try:
        await record_visit(user)
    except Exception:  # expect: DAPR033
        log.exception("digest visit not recorded")
    digest = await next_digest(user)
    if not digest:
        log.info("no digest due for %s", user)
    return {"status": "SUCCESS"}
