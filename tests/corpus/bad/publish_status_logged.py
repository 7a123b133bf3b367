"""Publishes task events over the sidecar's HTTP API and reads the answer only to log it."""

from __future__ import annotations

import logging
import os

import httpx

log = logging.getLogger(__name__)
DAPR = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"


async def publish_task_event(http: httpx.AsyncClient, event: dict[str, str]) -> None:
    response = await http.post(  # expect: DAPR019, DAPR036
        f"{DAPR}/v1.0/publish/pubsub/task-events",
        json=event,
        headers={"Content-Type": "application/cloudevents+json"},
    )
    if response.status_code == 204:
        log.debug("event %s published", event.get("id"))
    else:
        log.error("event %s refused: %s %s", event.get("id"), response.status_code, response.text)
