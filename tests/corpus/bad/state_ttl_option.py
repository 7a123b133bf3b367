"""A cache wrapper passing a TTL where the SDK has none, and a state item told what to do."""

from dapr.aio.clients import DaprClient
from dapr.clients.grpc._state import StateItem, StateOptions


async def cache(client: DaprClient, key: str, value: str, seconds: int) -> None:
    options = StateOptions(ttl=seconds)  # expect: DAPR023
    await client.save_state("statestore", key, value, options=options)


def upsert(key: str, value: str) -> StateItem:
    return StateItem(key=key, value=value, action="upsert")  # expect: DAPR023


async def overwrite(client: DaprClient, key: str, value: str, force: bool) -> None:
    etag = "1"
    if force:
        etag = 99999999
    await client.save_state("statestore", key, value, etag=etag)  # expect: DAPR023
