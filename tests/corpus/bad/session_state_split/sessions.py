"""Conversation sessions in the state store, behind methods named like the SDK's."""

from __future__ import annotations

import json
from typing import Any

from dapr.aio.clients import DaprClient


class SessionStore:
    def __init__(self, client: DaprClient, store: str = "statestore") -> None:
        self.client = client
        self.store = store

    async def get_state(self, key: str) -> dict[str, Any]:
        state = await self.client.get_state(store_name=self.store, key=key)
        return json.loads(state.data) if state.data else {}

    async def save_state(self, key: str, data: dict[str, Any]) -> None:
        await self.client.save_state(store_name=self.store, key=key, value=json.dumps(data))


sessions = SessionStore(DaprClient())
