"""A learning service that publishes its results to the sidecar with the CloudEvents content type
but posts only the payload, as agent-built services often do: daprd takes each body as the
envelope, and subscribers reading the event's data find none."""

from __future__ import annotations

import logging
import os

import httpx
from pydantic import BaseModel

log = logging.getLogger(__name__)
DAPR_HTTP_PORT = os.environ.get("DAPR_HTTP_PORT", "3500")
PUBLISH = f"http://127.0.0.1:{DAPR_HTTP_PORT}/v1.0/publish/pubsub"
CLOUDEVENT = {"Content-Type": "application/cloudevents+json"}


class ExerciseGraded(BaseModel):
    exercise_id: str
    student_id: str
    score: float


async def publish_graded(http: httpx.AsyncClient, graded: ExerciseGraded) -> None:
    response = await http.post(  # expect: DAPR049
        f"{PUBLISH}/exercise.graded", json=graded.model_dump(), headers=CLOUDEVENT
    )
    response.raise_for_status()


async def publish_hint(http: httpx.AsyncClient, exercise_id: str, hint: str) -> None:
    payload = {"exercise_id": exercise_id, "hint": hint}
    response = await http.post(  # expect: DAPR049
        f"{PUBLISH}/hint.given",
        json=payload,
        headers={"Content-Type": "application/cloudevents+json"},
    )
    response.raise_for_status()
