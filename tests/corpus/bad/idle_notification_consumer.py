"""A notification 'consumer' shaped like the placeholders generated backends ship: handlers for
reminder events, and a start() that announces it is listening and then only sleeps."""

from __future__ import annotations

import asyncio
import logging
import os

log = logging.getLogger(__name__)


class ReminderNotifier:
    def __init__(self, channel: str) -> None:
        self.channel = channel

    async def handle_reminder_event(self, event: dict) -> bool:
        reminder = event.get("data", {})
        log.info("notify %s over %s", reminder.get("user_id"), self.channel)
        return True

    async def start(self) -> None:  # expect: DAPR047
        log.info("listening for reminder events on %s", self.channel)
        try:
            await asyncio.sleep(float("inf"))
        except asyncio.CancelledError:
            log.info("notifier stopped")


async def main() -> None:
    logging.basicConfig(level=logging.INFO)
    notifier = ReminderNotifier(os.getenv("NOTIFY_CHANNEL", "in-app"))
    await notifier.start()


if __name__ == "__main__":
    asyncio.run(main())
