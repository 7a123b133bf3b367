"""A one-shot demo script that treats the synchronous client as the async one."""

import asyncio

from dapr.clients import DaprClient  # expect: DAPR001


async def main() -> None:
    order = {"id": 1, "item": "book"}
    async with DaprClient() as client:
        await client.publish_event(
            pubsub_name="pubsub",
            topic_name="orders",
            data=order,  # expect: DAPR023
            data_content_type="application/json",
        )


if __name__ == "__main__":
    asyncio.run(main())
