"""A ledger that builds its client once, when it is created."""

from __future__ import annotations

import time

from dapr.clients import DaprClient


class Ledger:
    def __init__(self) -> None:
        self._dapr = DaprClient()

    def record(self, order_id: str, amount: int) -> None:
        self._dapr.save_state("ledger", order_id, str(amount))

    def lock(self, order_id: str) -> bool:
        for _ in range(20):
            if self._dapr.try_lock("locks", order_id, "ledger", 30).success:
                return True
            time.sleep(0.1)
        return False

    def close(self) -> None:
        self._dapr.close()
