"""The service's publish helpers: a failed publish raises to the caller (the SDK raises)."""

from __future__ import annotations

from dapr.aio.clients import DaprClient


async def publish_order_placed(client: DaprClient, order_id: str) -> None:
    await client.publish_event("pubsub", "orders", order_id, data_content_type="text/plain")
