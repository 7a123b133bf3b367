"""Chat sessions in the state store, with an expiry, through a client handed in or built lazily."""

from __future__ import annotations

import json
from typing import Any

from dapr.clients import DaprClient


class SessionCache:
    def __init__(self, client=None, store: str = "statestore") -> None:
        self.client = client
        self.store = store

    def _dapr(self) -> DaprClient:
        if self.client is None:
            self.client = DaprClient()
        return self.client

    def remember(self, session_id: str, session: dict[str, Any], ttl: int | None) -> None:
        options = {}
        if ttl:
            options = {"ttlInSeconds": ttl}
        self._dapr().save_state(
            self.store,
            session_id,
            json.dumps(session),
            options=options,  # expect: DAPR023
        )
