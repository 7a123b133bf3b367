"""A reminder poller that sleeps in the `else` of its try: every successful pass sleeps."""

import asyncio
import logging

log = logging.getLogger(__name__)


class ReminderPoller:
    def __init__(self, send_due) -> None:
        self._send_due = send_due
        self._running = True

    async def run(self) -> None:
        while self._running:  # expect: DAPR003
            try:
                await self._send_due()
            except asyncio.CancelledError:
                break
            except Exception:
                log.exception("reminder pass failed")
                await asyncio.sleep(5)
            else:
                await asyncio.sleep(5)
