"""Reminder deliveries typed by the envelope model of the schemas module; a delivery that does
not validate is answered DROP, never 422."""

from __future__ import annotations

import logging

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .schemas import ReminderEnvelope

log = logging.getLogger(__name__)
app = FastAPI()
dapr_app = DaprApp(app)


@app.exception_handler(RequestValidationError)
async def drop_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    log.warning("dropping an invalid delivery to %s: %s", request.url.path, error)
    return JSONResponse({"status": "DROP"})


@dapr_app.subscribe(pubsub="pubsub", topic="reminders")
async def on_reminder(event: ReminderEnvelope) -> dict[str, str]:
    log.info("remind %s about %s", event.data.user_id, event.data.task_id)
    return {"status": "SUCCESS"}
