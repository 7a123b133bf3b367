"""Notification requests: a request that cannot be read is dropped, a failed send retried."""

from __future__ import annotations

import logging

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, Request
from pydantic import BaseModel, ValidationError

from .telegram import send_news

log = logging.getLogger(__name__)
app = FastAPI()
dapr_app = DaprApp(app)


class NewsRequest(BaseModel):
    telegram_id: int
    news: str


@dapr_app.subscribe(pubsub="pubsub", topic="notification-requests")
async def on_request(request: Request) -> dict[str, str]:
    try:
        news = NewsRequest.model_validate((await request.json()).get("data"))
    except ValidationError:
        return {"status": "DROP"}
    try:
        response = await send_news(news.telegram_id, news.news)
        response.raise_for_status()
    except Exception as error:
        log.error("news not sent: %s", error)
        return {"status": "RETRY"}
    return {"status": "SUCCESS"}
