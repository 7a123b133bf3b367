"""The service's publisher: a failed publish is logged and answered False."""

from __future__ import annotations

import logging

from dapr.aio.clients import DaprClient

log = logging.getLogger(__name__)


async def publish_event(client: DaprClient, topic: str, body: str) -> bool:
    try:
        await client.publish_event("pubsub", topic, body, data_content_type="application/json")
    except Exception:  # expect: DAPR036
        log.exception("event on %s not published", topic)
        return False
    return True
