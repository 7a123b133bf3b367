"""Raw HTTP state calls that read the sidecar's answer right: saves and deletes raise on any
non-2xx answer, and a read takes 200 as found (the sidecar answers 204 for a missing key)."""

from __future__ import annotations

import os

import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel

app = FastAPI()
SIDECAR = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"
STORE = "statestore"


class Progress(BaseModel):
    user_id: str
    lesson_id: str
    percent: float


def _http(request: Request) -> httpx.AsyncClient:
    return request.app.state.http


@app.post("/progress")
async def record(progress: Progress, request: Request) -> dict[str, str]:
    key = f"progress-{progress.user_id}-{progress.lesson_id}"
    response = await _http(request).post(
        f"{SIDECAR}/v1.0/state/{STORE}", json=[{"key": key, "value": progress.model_dump()}]
    )
    response.raise_for_status()
    return {"saved": key}


@app.get("/progress/{user_id}/{lesson_id}")
async def read(user_id: str, lesson_id: str, request: Request) -> dict[str, object]:
    response = await _http(request).get(
        f"{SIDECAR}/v1.0/state/{STORE}/progress-{user_id}-{lesson_id}"
    )
    if response.status_code == 204:  # absent; an error status raises below
        return {}
    response.raise_for_status()
    return response.json()


@app.delete("/progress/{user_id}/{lesson_id}")
async def forget(user_id: str, lesson_id: str, request: Request) -> dict[str, bool]:
    url = f"{SIDECAR}/v1.0/state/{STORE}/progress-{user_id}-{lesson_id}"
    response = await _http(request).delete(url)
    return {"deleted": response.is_success}
