"""The service's state access: one synchronous DaprClient, wrapped."""

from __future__ import annotations

from dapr.clients import DaprClient  # expect: DAPR001


class OrderStore:
    def __init__(self) -> None:
        self._client = DaprClient()

    @property
    def client(self) -> DaprClient:
        return self._client

    def load(self, order_id: str) -> bytes:
        return self._client.get_state("statestore", order_id).data

    def save(self, order_id: str, status: str) -> None:
        self._client.save_state("statestore", order_id, status)


def get_store() -> OrderStore:
    return OrderStore()  # expect: DAPR008
