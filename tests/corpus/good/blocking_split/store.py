"""The service's state access: the async DaprClient, wrapped."""

from __future__ import annotations

from pathlib import Path

from dapr.aio.clients import DaprClient

AUDIT = Path("audit.log")


class OrderStore:
    def __init__(self) -> None:
        self._client = DaprClient()

    async def load(self, order_id: str) -> bytes:
        return (await self._client.get_state("statestore", order_id)).data

    async def save(self, order_id: str, status: str) -> None:
        await self._client.save_state("statestore", order_id, status)


def audit_line(order_id: str, status: str) -> str:
    with AUDIT.open("a", encoding="utf-8") as log:
        log.write(f"{order_id} {status}\n")
    return status
