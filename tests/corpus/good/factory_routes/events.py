"""Subscriptions registered by a factory the app calls at startup, one route per topic."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request

log = logging.getLogger(__name__)


def register_subscriptions(app: FastAPI, pubsub: str, topics: list[str]) -> None:
    @app.get("/dapr/subscribe")
    async def subscribe() -> list[dict[str, str]]:
        return [{"pubsubname": pubsub, "topic": t, "route": f"/events/{t}"} for t in topics]

    for topic in topics:

        @app.post(f"/events/{topic}")
        async def on_event(request: Request) -> dict[str, str]:
            event = await request.json()
            if not isinstance(event.get("data"), dict):
                return {"status": "DROP"}
            log.info("event %s", event.get("id"))
            return {"status": "SUCCESS"}
