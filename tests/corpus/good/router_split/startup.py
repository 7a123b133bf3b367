from __future__ import annotations

from dapr.aio.clients import DaprClient, Job

INVOICE_REMINDER = "invoice-reminder"


async def register(client: DaprClient) -> None:
    await client.schedule_job(Job(name=INVOICE_REMINDER, schedule="@daily"), overwrite=True)
