"""A reminder notifier that calls other apps per event, as hackathon services often write it."""

from __future__ import annotations

import logging
import os

import httpx
from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)
app = FastAPI()
dapr_app = DaprApp(app)
SIDECAR = f"http://localhost:{os.environ.get('DAPR_HTTP_PORT', '3500')}"
BACKEND_APP_ID = os.environ.get("BACKEND_APP_ID", "backend")
http = httpx.AsyncClient(timeout=10)


class ReminderDue(BaseModel):
    reminder_id: str
    user_id: str
    title: str


async def send_email(user_id: str, title: str) -> None:
    url = f"{SIDECAR}/v1.0/invoke/{BACKEND_APP_ID}/method/api/notifications/email"
    payload = {"user_id": user_id, "subject": f"Reminder: {title}"}
    response = await http.post(url, json=payload)  # expect: DAPR050
    response.raise_for_status()


async def record_delivery(reminder: ReminderDue) -> None:
    # Keyed by the reminder: the backend records each reminder's delivery once.
    url = f"{SIDECAR}/v1.0/invoke/{BACKEND_APP_ID}/method/api/reminders/{reminder.reminder_id}/sent"
    response = await http.post(url, json={"title": reminder.title})
    response.raise_for_status()


async def profile(user_id: str) -> dict[str, str]:
    url = f"{SIDECAR}/v1.0/invoke/{BACKEND_APP_ID}/method/api/users/{user_id}"
    response = await http.get(url)
    response.raise_for_status()
    return dict(response.json())


@dapr_app.subscribe(pubsub="pubsub", topic="reminders")
async def on_reminder(request: Request) -> dict[str, str]:
    try:
        reminder = ReminderDue.model_validate((await request.json()).get("data"))
    except ValidationError:
        return {"status": "DROP"}
    try:
        user = await profile(reminder.user_id)
        await send_email(reminder.user_id, reminder.title)
        await http.post(  # expect: DAPR050
            f"{SIDECAR}/api/push",
            json={"to": user.get("device", ""), "text": reminder.title},
            headers={"dapr-app-id": "push-gateway"},
        )
        await record_delivery(reminder)
    except httpx.HTTPError as error:
        log.warning("reminder %s not delivered: %s", reminder.reminder_id, error)
        raise HTTPException(status_code=503, detail="retry later") from error
    return {"status": "SUCCESS"}
