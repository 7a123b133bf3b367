"""Pushes task updates to the browsers connected over WebSockets; a gone browser is dropped."""

from __future__ import annotations

import logging

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, WebSocket

log = logging.getLogger(__name__)
app = FastAPI()
dapr_app = DaprApp(app)


class Browsers:
    def __init__(self) -> None:
        self.open: dict[str, set[WebSocket]] = {}

    async def push(self, user_id: str, update: dict) -> int:
        sent = 0
        for socket in list(self.open.get(user_id, ())):
            try:
                await socket.send_json(update)
                sent += 1
            except Exception:
                log.info("browser of %s went away", user_id)
                self.open[user_id].discard(socket)
        return sent


browsers = Browsers()


@dapr_app.subscribe(pubsub="pubsub", topic="task-updates")
async def on_task_update(event: dict) -> dict[str, str]:
    data = event.get("data") or {}
    try:
        await browsers.push(str(data.get("user_id")), data)
    except Exception:
        log.exception("push of a task update failed")
    return {"status": "SUCCESS"}
