"""The app: routes come from a factory, and its reminder jobs have their trigger route."""

from __future__ import annotations

import os

import httpx
from fastapi import FastAPI

from service.good.factory_routes.events import register_subscriptions

JOBS = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}/v1.0/jobs"

app = FastAPI()
register_subscriptions(app, "pubsub", ["orders", "payments"])


async def schedule_reminder(http: httpx.AsyncClient, task_id: str) -> None:
    response = await http.post(f"{JOBS}/reminder-{task_id}", json={"dueTime": "10m"})
    response.raise_for_status()


@app.post("/job/{job_name}")
async def on_reminder(job_name: str) -> dict[str, str]:
    return {"fired": job_name}
