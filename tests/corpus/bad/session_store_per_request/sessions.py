"""Conversation sessions kept in the Dapr state store, one client per service instance."""

from __future__ import annotations

import json
from typing import Any

from dapr.aio.clients import DaprClient


class SessionStore:
    def __init__(self, store: str = "statestore") -> None:
        self.store = store
        self.dapr: DaprClient | None = None

    async def _client(self) -> DaprClient:
        if self.dapr is None:
            self.dapr = DaprClient()  # expect: DAPR008, DAPR015
        return self.dapr

    async def load(self, session_id: str) -> dict[str, Any]:
        client = await self._client()
        item = await client.get_state(self.store, session_id)
        return json.loads(item.data) if item.data else {}

    async def save(self, session_id: str, session: dict[str, Any]) -> None:
        client = await self._client()
        await client.save_state(self.store, session_id, json.dumps(session))
