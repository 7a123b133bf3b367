"""A one-shot migration run with `dapr run -- python stock_migration.py`: no app, no requests."""

from __future__ import annotations

import asyncio
import json

from dapr.aio.clients import DaprClient
from dapr.aio.clients.health import DaprHealth

STORE = "statestore"
SKUS = ("apple", "pear")


async def migrate(client: DaprClient, sku: str) -> None:
    # Run while the service is stopped, so nothing writes in between: no ETag needed.
    item = await client.get_state(STORE, sku)
    stock = json.loads(item.data or b"{}")
    stock.setdefault("reserved", 0)
    await client.save_state(STORE, sku, json.dumps(stock))


async def main() -> None:
    await DaprHealth.wait_for_sidecar()
    async with DaprClient() as client:
        for sku in SKUS:
            await migrate(client, sku)


if __name__ == "__main__":
    asyncio.run(main())
