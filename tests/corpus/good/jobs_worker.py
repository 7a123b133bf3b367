"""Nightly cleanup scheduled through the Dapr Jobs API, handled on an APIRouter."""

from __future__ import annotations

import json

from dapr.aio.clients import ConstantFailurePolicy, DaprClient, Job
from fastapi import APIRouter, Request
from google.protobuf.any_pb2 import Any as GrpcAny
from pydantic import BaseModel, ValidationError

CLEANUP_JOB = "nightly-cleanup"
router = APIRouter()


class CleanupRequest(BaseModel):
    older_than_days: int = 30


async def register_jobs(client: DaprClient) -> None:
    payload = CleanupRequest(older_than_days=14)
    await client.schedule_job(
        Job(
            name=CLEANUP_JOB,
            schedule="0 0 3 * * *",
            data=GrpcAny(value=json.dumps(payload.model_dump()).encode()),
            failure_policy=ConstantFailurePolicy(max_retries=3, interval_seconds=10),
        ),
        overwrite=True,
    )


@router.api_route("/job/" + CLEANUP_JOB, methods=["POST"])
async def nightly_cleanup(request: Request) -> dict[str, int]:
    try:
        job = CleanupRequest.model_validate_json(await request.body())
    except ValidationError:
        return {"deleted": 0}
    client: DaprClient = request.app.state.dapr
    await client.delete_state("statestore", f"archive-{job.older_than_days}")
    return {"deleted": 1}
