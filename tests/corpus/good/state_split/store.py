"""The service's state access: helpers that hand out the ETag and take it back."""

from __future__ import annotations

import json

from dapr.aio.clients import DaprClient
from dapr.clients.grpc._state import Concurrency, StateOptions

STORE = "statestore"
FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)


class Carts:
    def __init__(self, client: DaprClient) -> None:
        self._client = client

    async def load(self, cart_id: str) -> tuple[list[str], str | None]:
        state = await self._client.get_state(STORE, cart_id)
        return json.loads(state.data or b"[]"), state.etag

    async def save(self, cart_id: str, items: list[str], etag: str | None) -> None:
        await self._client.save_state(STORE, cart_id, json.dumps(items), etag=etag)


_carts = Carts(DaprClient())


def get_carts() -> Carts:
    return _carts


async def seen(client: DaprClient, message_id: str) -> bytes:
    return (await client.get_state(STORE, f"seen:{message_id}")).data


async def claim(client: DaprClient, message_id: str) -> None:
    """Insert-if-absent: a concurrent claim of the same id is refused by the store."""
    await client.save_state(STORE, f"seen:{message_id}", "1", options=FIRST_WRITE)


def normalised(cart_id: str) -> str:
    return cart_id.strip().lower()


def audit(cart_id: str, items: list[str]) -> None:
    print(cart_id, len(items))
