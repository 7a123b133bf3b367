from __future__ import annotations

from dapr.aio.clients import DaprClient, Job


async def register(client: DaprClient) -> None:
    await client.schedule_job(Job(name="weekly-digest", schedule="@weekly"), overwrite=True)
    nightly = Job(name="nightly-report", schedule="@daily")  # expect: DAPR012
    await client.schedule_job(nightly, overwrite=True)
