"""The service's state access: helpers that hand out the data without its ETag."""

from __future__ import annotations

import json

from dapr.aio.clients import DaprClient

STORE = "statestore"


class Carts:
    def __init__(self, client: DaprClient) -> None:
        self._client = client

    async def load(self, cart_id: str) -> list[str]:
        state = await self._client.get_state(STORE, cart_id)
        return json.loads(state.data or b"[]")

    async def save(self, cart_id: str, items: list[str]) -> None:
        await self._client.save_state(STORE, cart_id, json.dumps(items))


_carts = Carts(DaprClient())


def get_carts() -> Carts:
    return _carts


async def seen(client: DaprClient, message_id: str) -> bytes:
    return (await client.get_state(STORE, f"seen:{message_id}")).data


async def mark_seen(client: DaprClient, message_id: str) -> None:
    await client.save_state(STORE, f"seen:{message_id}", "1")
