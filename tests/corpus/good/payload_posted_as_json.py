"""The same service publishing as daprd expects: the payload as application/json (daprd builds the
envelope around it), or a whole envelope, with the payload under data, as a CloudEvent."""

from __future__ import annotations

import os
import uuid

import httpx
from pydantic import BaseModel

DAPR_HTTP_PORT = os.environ.get("DAPR_HTTP_PORT", "3500")
PUBLISH = f"http://127.0.0.1:{DAPR_HTTP_PORT}/v1.0/publish/pubsub"


class ExerciseGraded(BaseModel):
    exercise_id: str
    student_id: str
    score: float


async def publish_graded(http: httpx.AsyncClient, graded: ExerciseGraded) -> None:
    response = await http.post(
        f"{PUBLISH}/exercise.graded",
        json=graded.model_dump(),
        params={"metadata.cloudevent.id": graded.exercise_id},
    )
    response.raise_for_status()


async def publish_hint(http: httpx.AsyncClient, exercise_id: str, hint: str) -> None:
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"hint:{exercise_id}:{hint}")),
        "source": "exercises",
        "type": "hint.given",
        "datacontenttype": "application/json",
        "data": {"exercise_id": exercise_id, "hint": hint},
    }
    response = await http.post(
        f"{PUBLISH}/hint.given",
        json=event,
        headers={"Content-Type": "application/cloudevents+json"},
    )
    response.raise_for_status()
