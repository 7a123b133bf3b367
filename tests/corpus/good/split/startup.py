from __future__ import annotations

from dapr.aio.clients import DaprClient, Job

DIGEST_JOB = "weekly-digest"


async def register(client: DaprClient) -> None:
    await client.schedule_job(Job(name=DIGEST_JOB, schedule="@weekly"), overwrite=True)
