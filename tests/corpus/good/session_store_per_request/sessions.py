"""Conversation sessions kept in the Dapr state store, through the process's one client."""

from __future__ import annotations

import json
from typing import Any

from dapr.aio.clients import DaprClient


class SessionStore:
    def __init__(self, dapr: DaprClient | None = None, store: str = "statestore") -> None:
        self.store = store
        self.dapr = dapr or DaprClient()

    async def load(self, session_id: str) -> dict[str, Any]:
        item = await self.dapr.get_state(self.store, session_id)
        return json.loads(item.data) if item.data else {}

    async def save(self, session_id: str, session: dict[str, Any]) -> None:
        await self.dapr.save_state(self.store, session_id, json.dumps(session))
