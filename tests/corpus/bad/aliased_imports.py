"""The same mistakes hidden behind aliases and module imports."""

from __future__ import annotations

import asyncio as aio
import json

import dapr.clients as dc
from dapr.aio.clients import DaprClient as Dapr
from dapr.aio.clients import Job as DaprJob
from fastapi import FastAPI, Request
from google.protobuf import any_pb2
from google.protobuf import wrappers_pb2 as wrappers

api = FastAPI()


async def make_client():
    return dc.DaprClient()  # expect: DAPR001


@api.post("/job/cleanup")
async def cleanup(request: Request) -> dict[str, int]:
    options = json.loads(await request.body())
    async with Dapr() as client:  # expect: DAPR008
        await client.delete_state("statestore", options["key"])  # expect: DAPR007
    return {"deleted": 1}


async def schedule(client: Dapr) -> None:
    data = any_pb2.Any()
    data.Pack(wrappers.StringValue(value='{"days": 7}'))  # expect: DAPR011
    job = DaprJob(name="cleanup", schedule="@daily", data=data)
    await client.schedule_job_alpha1(job)  # expect: DAPR010


async def watch(job) -> None:
    while not job.done:  # expect: DAPR003
        try:
            await job.refresh()
            await aio.sleep(5)
        except ConnectionError:
            break
