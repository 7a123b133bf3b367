"""A reminder consumer program done right: it opens a streaming subscription with the aio client
before it waits, so the sidecar delivers every reminder event to its handler."""

from __future__ import annotations

import asyncio
import logging

from dapr.aio.clients import DaprClient
from dapr.clients.grpc._response import TopicEventResponse
from dapr.clients.grpc.subscription import SubscriptionMessage

log = logging.getLogger(__name__)


async def handle_reminder(message: SubscriptionMessage) -> TopicEventResponse:
    log.info("notify %s", message.data())
    return TopicEventResponse("success")


async def main() -> None:
    async with DaprClient() as client:
        close = await client.subscribe_with_handler(
            pubsub_name="pubsub", topic="reminders", handler_fn=handle_reminder
        )
        try:
            await asyncio.sleep(float("inf"))
        finally:
            await close()


if __name__ == "__main__":
    asyncio.run(main())
