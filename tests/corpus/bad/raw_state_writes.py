"""A progress service that talks to the state store over raw HTTP, as course labs and agent-built
backends often do: success judged by 200 where the sidecar answers 204, and saves nobody checks."""

from __future__ import annotations

import os

import httpx
from fastapi import FastAPI, HTTPException, Request
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
    if response.status_code != 200:  # expect: DAPR021
        raise HTTPException(status_code=502, detail="progress not saved")
    return {"saved": key}


@app.post("/progress/reset")
async def reset(progress: Progress, request: Request) -> dict[str, str]:
    key = f"progress-{progress.user_id}-{progress.lesson_id}"
    await _http(request).post(  # expect: DAPR036
        f"{SIDECAR}/v1.0/state/{STORE}", json=[{"key": key, "value": {"percent": 0}}]
    )
    return {"reset": key}


@app.delete("/progress/{user_id}/{lesson_id}")
async def forget(user_id: str, lesson_id: str, request: Request) -> dict[str, bool]:
    url = f"{SIDECAR}/v1.0/state/{STORE}/progress-{user_id}-{lesson_id}"
    response = await _http(request).delete(url)
    return {"deleted": response.status_code == 200}  # expect: DAPR021
