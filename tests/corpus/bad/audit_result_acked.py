"""An audit subscriber that learns its write failed and acknowledges the event anyway."""

import logging
from typing import Any

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI

from audit.store import write_entry

app = FastAPI()
dapr_app = DaprApp(app)
logger = logging.getLogger(__name__)


@dapr_app.subscribe(pubsub="pubsub", topic="task-events")
async def on_task_event(event: dict[str, Any]) -> dict[str, str]:
    written = await write_entry(event.get("data") or {})
    if written:
        logger.info("audit entry written")
    else:
        logger.error("audit entry not written")
    return {"status": "SUCCESS"}  # expect: DAPR033
