"""Reminder deliveries typed by the envelope model of the schemas module."""

from __future__ import annotations

import logging

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI

from .schemas import ReminderEnvelope

log = logging.getLogger(__name__)
app = FastAPI()
dapr_app = DaprApp(app)


@dapr_app.subscribe(pubsub="pubsub", topic="reminders")
async def on_reminder(event: ReminderEnvelope) -> dict[str, str]:  # expect: DAPR006, DAPR034
    log.info("remind %s about %s", event.data.user_id, event.data.task_id)
    return {"status": "SUCCESS"}
