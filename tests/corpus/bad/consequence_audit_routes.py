"""Audit consumer: two routes share one helper, whose catch-all answers 500 for what the message
itself causes (a body that is no JSON, a missing field), so such a message is redelivered forever;
an actor call alone may be retried."""

from __future__ import annotations

import logging
from typing import Any

from dapr.actor import ActorId, ActorProxy
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

log = logging.getLogger("audit")
app = FastAPI()


@app.get("/dapr/subscribe")
def subscribe() -> list[dict[str, str]]:
    return [
        {"pubsubname": "pubsub", "topic": "orders", "route": "/audit/orders"},
        {"pubsubname": "pubsub", "topic": "refunds", "route": "/audit/refunds"},
        {"pubsubname": "pubsub", "topic": "visits", "route": "/audit/visits"},
    ]


@app.post("/audit/orders")
async def audit_order(request: Request) -> JSONResponse:
    return await _record(request, "order")


@app.post("/audit/refunds")
async def audit_refund(request: Request) -> JSONResponse:
    return await _record(request, "refund")


async def _record(request: Request, kind: str) -> JSONResponse:
    try:
        event: dict[str, Any] = await request.json()
        log.info("audit %s %s", kind, event["data"]["id"])
    except Exception as error:
        return JSONResponse({"error": str(error)}, status_code=500)  # expect: DAPR032
    return JSONResponse({"status": "SUCCESS"})


@app.post("/audit/visits")
async def audit_visit(request: Request) -> dict[str, str]:
    visitor = request.headers.get("x-visitor", "anonymous")
    try:
        # Only the actor host can fail here, and that passes: RETRY is right.
        proxy = ActorProxy.create("Visitor", ActorId(visitor), object)
        await proxy.invoke_method("Record", b"")
    except Exception as error:
        raise HTTPException(status_code=500, detail="actor unavailable") from error
    return {"status": "SUCCESS"}
