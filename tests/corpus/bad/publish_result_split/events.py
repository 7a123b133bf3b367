"""The service's publisher: a failed publish becomes False, forwarded by the per-event methods."""

from __future__ import annotations

import logging

from dapr.aio.clients import DaprClient
from dapr.clients.exceptions import DaprInternalError

logger = logging.getLogger(__name__)


class TaskEvents:
    def __init__(self, client: DaprClient) -> None:
        self._client = client

    async def _publish(self, topic: str, body: str) -> bool:
        try:
            await self._client.publish_event(
                "pubsub", topic, body, data_content_type="application/json"
            )
        except DaprInternalError:  # expect: DAPR036
            logger.exception("publish to %s failed", topic)
            return False
        return True

    async def created(self, body: str) -> bool:
        return await self._publish("task-created", body)

    async def completed(self, body: str) -> bool:
        return await self._publish("task-completed", body)


_events = TaskEvents(DaprClient())


def get_events() -> TaskEvents:
    return _events
