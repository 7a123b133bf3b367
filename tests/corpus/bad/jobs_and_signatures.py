"""Jobs and SDK calls written from memory: parameter names and schedules that do not exist."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from dapr.aio.clients import DaprClient, Job
from dapr.aio.clients.health import DaprHealth
from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, Request


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await DaprHealth.wait_for_sidecar()
    client = DaprClient(dapr_address=os.environ["DAPR_GRPC_ENDPOINT"])  # expect: DAPR023
    app.state.dapr = client
    digest = Job(name="digest", schedule="@every 1 hour")  # expect: DAPR024
    await client.schedule_job(digest, overwrite=True)
    yield
    await client.close()


app = FastAPI(lifespan=lifespan)
dapr_app = DaprApp(app)


def reminder_job(task_id: str, when: datetime) -> Job:
    return Job(name=f"reminder-{task_id}", schedule=when.isoformat())  # expect: DAPR024, DAPR012


def expiring_job(task_id: str) -> Job:
    return Job(name=f"expire-{task_id}", due_time="10m", ttl="1h")  # expect: DAPR026, DAPR012


@dapr_app.subscribe(pubsub_name="pubsub", topic="tasks")  # expect: DAPR023
async def on_task(request: Request) -> dict[str, str]:
    client: DaprClient = request.app.state.dapr
    body = await request.body()
    await client.save_state(store="statestore", key="last", value=body)  # expect: DAPR023
    return {"status": "SUCCESS"}


@app.post("/job/digest")
async def send_digest() -> dict[str, str]:
    return {"status": "sent"}
