"""Talking to the sidecar over raw HTTP, the way many reminder and notification services do."""

from __future__ import annotations

import os
import uuid

import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel

app = FastAPI()
DAPR_URL = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"
JOBS_API = "v1.0-alpha1"


class Reminder(BaseModel):
    task_id: str
    remind_at: str


def publish_url(topic: str, dapr_port: int = 3500) -> str:  # expect: DAPR022
    return f"http://127.0.0.1:{dapr_port}/v1.0/publish/pubsub/{topic}"


async def emit(http: httpx.AsyncClient, reminder: Reminder) -> bool:
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "reminders",
        "type": "reminder.scheduled",
        "data": reminder.model_dump(),
    }
    url = f"{DAPR_URL}/v1.0/publish/pubsub/reminders"
    response = await http.post(url, json=event)  # expect: DAPR019, DAPR020
    return response.status_code == 200  # expect: DAPR021


async def schedule(http: httpx.AsyncClient, reminder: Reminder) -> None:
    url = f"{DAPR_URL}/{JOBS_API}/jobs/reminder-{reminder.task_id}"  # expect: DAPR010
    await http.post(url, json={"dueTime": reminder.remind_at})  # expect: DAPR012, DAPR036
    later = f"{DAPR_URL}/v1.0/reminders/{reminder.task_id}"
    await http.post(later, json={"dueTime": "1h"})  # expect: DAPR025
    invoked = f"{DAPR_URL}/v1.0/invoke/scheduler/method/v1.0/jobs/{reminder.task_id}"
    await http.post(invoked, json={"dueTime": reminder.remind_at})  # expect: DAPR027, DAPR036


@app.post("/reminders")
async def create(reminder: Reminder, request: Request) -> dict[str, bool]:
    http: httpx.AsyncClient = request.app.state.http
    await schedule(http, reminder)
    return {"published": await emit(http, reminder)}
