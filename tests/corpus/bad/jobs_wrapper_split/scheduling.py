"""Schedules reminders through the service's own jobs gateway, by the job's name."""

from __future__ import annotations

from typing import Protocol


class JobsGateway(Protocol):
    async def schedule_job(self, *, job_name: str, due_time: str) -> None: ...


async def remind(jobs: JobsGateway, task_id: str, due_time: str) -> None:
    await jobs.schedule_job(job_name=f"reminder-{task_id}", due_time=due_time)
