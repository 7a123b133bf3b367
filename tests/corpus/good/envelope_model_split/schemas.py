"""The notification service's message models, kept apart from its routes as generated backends
usually keep them: the envelope model requires only what every delivery carries."""

from __future__ import annotations

from pydantic import BaseModel


class Reminder(BaseModel):
    task_id: str
    user_id: str


class ReminderEnvelope(BaseModel):
    id: str
    source: str
    type: str
    specversion: str
    datacontenttype: str | None = None
    time: str | None = None
    traceparent: str | None = None
    data: Reminder
