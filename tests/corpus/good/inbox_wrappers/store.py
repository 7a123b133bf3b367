"""The inbox's bookkeeping in the Dapr state store: each instance opens its own client."""

from __future__ import annotations

from dapr.clients import DaprClient


class InboxStore:
    def __init__(self, store: str = "inboxstore") -> None:
        self.store = store
        self.client = DaprClient()

    def seen(self, key: str) -> bool:
        return bool(self.client.get_state(self.store, key).data)

    def mark(self, key: str) -> None:
        self.client.save_state(self.store, key, "1")
