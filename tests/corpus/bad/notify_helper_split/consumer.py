"""Notification requests handed whole to the Telegram module, failures answered 500."""

from __future__ import annotations

import logging

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, HTTPException, Request

from .telegram import ping, send_news

log = logging.getLogger(__name__)
app = FastAPI()
dapr_app = DaprApp(app)


@dapr_app.subscribe(pubsub="pubsub", topic="notification-requests")
async def on_request(request: Request) -> dict[str, str]:
    event = await request.json()
    try:
        response = await send_news(event)
        response.raise_for_status()
    except Exception as error:
        log.error("news not sent: %s", error)
        raise HTTPException(status_code=500, detail=str(error)) from error  # expect: DAPR032
    return {"status": "SUCCESS"}


@dapr_app.subscribe(pubsub="pubsub", topic="health-checks")
async def on_check(request: Request) -> dict[str, str]:
    target = str(request.url)
    try:
        response = await ping(target)
        response.raise_for_status()
    except Exception as error:
        # The helper reads nothing of the message: what fails here may pass on a retry.
        raise HTTPException(status_code=500, detail=str(error)) from error
    return {"status": "SUCCESS"}
