"""Hand-made publishes over the sidecar's HTTP API whose refusal raises: one through
`raise_for_status()`, one through a status test that answers the caller with an error. The
answer is checked, the event carries its content type, and nothing is lost by the HTTP route."""

from __future__ import annotations

import os

import httpx
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

app = FastAPI()
SIDECAR = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"
PUBSUB = "pubsub"


class LessonGenerated(BaseModel):
    lesson_id: str
    course_id: str


def _http(request: Request) -> httpx.AsyncClient:
    return request.app.state.http


async def publish_lesson(http: httpx.AsyncClient, event: LessonGenerated) -> None:
    response = await http.post(
        f"{SIDECAR}/v1.0/publish/{PUBSUB}/lesson-generated",
        content=event.model_dump_json(),
        headers={"Content-Type": "application/json"},
    )
    response.raise_for_status()


@app.post("/lessons")
async def create_lesson(event: LessonGenerated, request: Request) -> dict[str, str]:
    await publish_lesson(_http(request), event)
    return {"lesson_id": event.lesson_id}


@app.post("/lessons/{lesson_id}/republish")
async def republish(lesson_id: str, course_id: str, request: Request) -> dict[str, str]:
    event = LessonGenerated(lesson_id=lesson_id, course_id=course_id)
    response = await _http(request).post(
        f"{SIDECAR}/v1.0/publish/{PUBSUB}/lesson-generated",
        content=event.model_dump_json(),
        headers={"Content-Type": "application/json"},
    )
    if not response.is_success:
        raise HTTPException(status_code=502, detail="the sidecar refused the event")
    return {"lesson_id": lesson_id}
