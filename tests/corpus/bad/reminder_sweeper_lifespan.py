"""A service that sweeps due reminders with a scheduler another module of the project builds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.jobs import scheduler, sweep_due_reminders


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    scheduler.add_job(sweep_due_reminders, "interval", seconds=60)  # expect: DAPR003
    scheduler.start()
    yield
    scheduler.shutdown()


app = FastAPI(lifespan=lifespan)
