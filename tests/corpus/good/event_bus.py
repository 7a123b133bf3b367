"""A service's own event bus: its `publish_event` is the project's API, not the Dapr client's.

Callers publish through `EventBus.publish_event(topic, event)`; the bus serializes the model and
passes the content type to the real client itself. Nothing here may be given Dapr keywords.
"""

from __future__ import annotations

import logging
from typing import Protocol

from dapr.aio.clients import DaprClient
from pydantic import BaseModel

log = logging.getLogger(__name__)


class OrderShipped(BaseModel):
    order_id: str
    carrier: str


class Publisher(Protocol):
    async def publish_event(self, topic: str, event: BaseModel) -> None: ...


class EventBus:
    """Publishes models on one pub/sub component, as JSON CloudEvents."""

    def __init__(self, client: DaprClient, pubsub: str = "orderpubsub") -> None:
        self._client = client
        self._pubsub = pubsub

    async def publish_event(self, topic: str, event: BaseModel) -> None:
        await self._client.publish_event(
            pubsub_name=self._pubsub,
            topic_name=topic,
            data=event.model_dump_json(),
            data_content_type="application/json",
        )
        log.info("published %s on %s", type(event).__name__, topic)


class RecordingBus:
    """The test double: remembers what would have been published."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, BaseModel]] = []

    async def publish_event(self, topic: str, event: BaseModel) -> None:
        self.sent.append((topic, event))


async def ship(bus: Publisher, order_id: str, carrier: str) -> None:
    await bus.publish_event("shipments", OrderShipped(order_id=order_id, carrier=carrier))


async def notify(events, order_id: str) -> None:
    # `events` is whatever the caller wired in: not necessarily a Dapr client.
    await events.publish_event("notifications", order_id)
