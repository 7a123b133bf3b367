"""A ledger the activities use: every method call opens a client."""

from __future__ import annotations

import time

from dapr.clients import DaprClient


class Ledger:
    def record(self, order_id: str, amount: int) -> None:
        with DaprClient() as client:  # expect: DAPR008
            client.save_state("ledger", order_id, str(amount))

    def lock(self, order_id: str) -> bool:
        for _ in range(20):
            with DaprClient() as client:  # expect: DAPR008
                if client.try_lock("locks", order_id, "ledger", 30).success:
                    return True
            time.sleep(0.1)
        return False
