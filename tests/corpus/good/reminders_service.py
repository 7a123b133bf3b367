"""Task reminders: consumes task events, stores reminders, schedules a Dapr job that publishes
them."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

import grpc
from dapr.aio.clients import DaprClient, Job
from dapr.aio.clients.health import DaprHealth
from dapr.clients.exceptions import DaprGrpcError, DaprInternalError
from dapr.clients.grpc._state import Concurrency, StateOptions
from dapr.ext.fastapi import DaprApp
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from google.protobuf.any_pb2 import Any as GrpcAny
from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger("task_reminders")

PUBSUB = os.environ.get("PUBSUB_NAME", "pubsub")
STATESTORE = os.environ.get("STATESTORE_NAME", "statestore")
TASKS_TOPIC = "task-created"
REMINDERS_TOPIC = "reminder-due"
REMINDER_JOB = "send-due-reminders"
DEDUP_TTL_SECONDS = "86400"
TOKEN_HEADER = "dapr-api-token"

T = TypeVar("T")
DaprStatus = Literal["SUCCESS", "RETRY", "DROP"]


class TaskCreated(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str = Field(min_length=1)
    title: str
    due_at: datetime
    owner: str


class ReminderDue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str
    owner: str
    due_at: datetime


class Reminder(BaseModel):
    task_id: str
    owner: str
    due_at: datetime
    sent: bool = False


class CloudEventEnvelope(BaseModel):
    """Dapr's envelope, read leniently: only `id` and `data` matter here."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: str | None = None
    source: str | None = None
    data: Any = None


TRANSIENT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


async def with_retry(
    call: Callable[[], Awaitable[T]], *, attempts: int = 4, base_delay: float = 0.2
) -> T:
    """Retry a sidecar call on transient gRPC failures, with exponential backoff."""
    for attempt in range(attempts):
        try:
            return await call()
        except DaprGrpcError as error:
            if error.code() not in TRANSIENT or attempt == attempts - 1:
                raise
            await asyncio.sleep(base_delay * 2**attempt)
    raise RuntimeError("unreachable")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await DaprHealth.wait_for_sidecar()
    client = DaprClient()
    app.state.dapr = client
    try:
        await with_retry(
            lambda: client.schedule_job(
                Job(name=REMINDER_JOB, schedule="@every 1m", data=GrpcAny(value=b"{}")),
                overwrite=True,
            )
        )
        yield
    finally:
        await client.close()


app = FastAPI(title="task-reminders", lifespan=lifespan)
dapr_app = DaprApp(app)


def dapr_client(request: Request) -> DaprClient:
    return request.app.state.dapr


async def require_app_token(
    token: Annotated[str | None, Header(alias=TOKEN_HEADER)] = None,
) -> None:
    expected = os.environ.get("APP_API_TOKEN")
    if expected and not hmac.compare_digest(token or "", expected):
        raise HTTPException(status_code=401, detail="invalid app token")


Client = Annotated[DaprClient, Depends(dapr_client)]


async def claim_event(client: DaprClient, event_id: str) -> bool:
    """First writer wins: False when this event id was already processed."""
    try:
        await client.save_state(
            STATESTORE,
            f"dedup-{event_id}",
            "1",
            options=StateOptions(concurrency=Concurrency.first_write),
            state_metadata={"ttlInSeconds": DEDUP_TTL_SECONDS},
        )
    except DaprInternalError:
        return False
    return True


@dapr_app.subscribe(pubsub=PUBSUB, topic=TASKS_TOPIC, dead_letter_topic=f"{TASKS_TOPIC}-dlq")
async def on_task_created(request: Request, client: Client) -> dict[str, DaprStatus]:
    try:
        envelope = CloudEventEnvelope.model_validate(await request.json())
        task = TaskCreated.model_validate(envelope.data)
    except ValidationError as error:
        log.warning("dropping malformed task event: %s", error)
        return {"status": "DROP"}
    try:
        if not await claim_event(client, envelope.id):
            return {"status": "SUCCESS"}
        reminder = Reminder(task_id=task.task_id, owner=task.owner, due_at=task.due_at)
        await with_retry(
            lambda: client.save_state(
                STATESTORE, f"reminder-{task.task_id}", reminder.model_dump_json()
            )
        )
    except (grpc.RpcError, DaprInternalError):
        log.exception("state store unavailable; asking Dapr to redeliver")
        return {"status": "RETRY"}
    return {"status": "SUCCESS"}


async def publish_reminder(client: DaprClient, reminder: Reminder) -> None:
    event = ReminderDue(task_id=reminder.task_id, owner=reminder.owner, due_at=reminder.due_at)
    await with_retry(
        lambda: client.publish_event(
            PUBSUB,
            REMINDERS_TOPIC,
            event.model_dump_json(),
            data_content_type="application/json",
            publish_metadata={"cloudevent.id": f"reminder-{reminder.task_id}"},
        )
    )


async def due_reminders(client: DaprClient, now: datetime) -> list[Reminder]:
    # Unsent reminders page by page: the first page may hold none that are due yet.
    reminders: list[Reminder] = []
    token = ""
    while True:
        page = {"limit": 100, "token": token} if token else {"limit": 100}
        query = json.dumps({"filter": {"EQ": {"sent": False}}, "page": page})
        response = await client.query_state(STATESTORE, query)
        reminders.extend(Reminder.model_validate_json(item.value) for item in response.results)
        token = response.token
        if not token:
            return [r for r in reminders if r.due_at <= now]


@app.post(f"/job/{REMINDER_JOB}", dependencies=[Depends(require_app_token)])
async def send_due_reminders(client: Client) -> dict[str, int]:
    now = datetime.now(UTC)
    sent = 0
    for reminder in await due_reminders(client, now):
        await publish_reminder(client, reminder)
        reminder.sent = True
        await with_retry(
            lambda r=reminder: client.save_state(
                STATESTORE, f"reminder-{r.task_id}", r.model_dump_json()
            )
        )
        sent += 1
    log.info("sent %d reminders", sent)
    return {"sent": sent}


@app.get("/reminders/{task_id}", dependencies=[Depends(require_app_token)])
async def get_reminder(task_id: str, client: Client) -> Reminder:
    state = await with_retry(lambda: client.get_state(STATESTORE, f"reminder-{task_id}"))
    if not state.data:
        raise HTTPException(status_code=404, detail="no reminder for this task")
    return Reminder.model_validate_json(state.data)


@app.delete("/reminders/{task_id}", status_code=204, dependencies=[Depends(require_app_token)])
async def delete_reminder(task_id: str, client: Client) -> None:
    await with_retry(lambda: client.delete_state(STATESTORE, f"reminder-{task_id}"))


class SnoozeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(gt=0, le=24 * 60)


@app.post("/reminders/{task_id}/snooze", dependencies=[Depends(require_app_token)])
async def snooze_reminder(task_id: str, body: SnoozeRequest, client: Client) -> Reminder:
    key = f"reminder-{task_id}"
    state = await with_retry(lambda: client.get_state(STATESTORE, key))
    if not state.data:
        raise HTTPException(status_code=404, detail="no reminder for this task")
    reminder = Reminder.model_validate_json(state.data)
    reminder.due_at = reminder.due_at + timedelta(minutes=body.minutes)
    try:
        await client.save_state(STATESTORE, key, reminder.model_dump_json(), etag=state.etag)
    except DaprInternalError as error:
        raise HTTPException(status_code=409, detail="the reminder changed meanwhile") from error
    return reminder


@app.post("/calendar-feed")
async def on_calendar_feed(request: Request) -> dict[str, str]:
    """Input binding: daprd posts each calendar change here; 200 tells it the event was handled."""
    try:
        task = TaskCreated.model_validate_json(await request.body())
    except ValidationError:
        log.warning("ignoring a calendar entry that is not a task")
        return {"result": "ignored"}
    client: DaprClient = request.app.state.dapr
    reminder = Reminder(task_id=task.task_id, owner=task.owner, due_at=task.due_at)
    await with_retry(
        lambda: client.save_state(
            STATESTORE, f"reminder-{task.task_id}", reminder.model_dump_json()
        )
    )
    return {"result": "stored"}


@app.get("/healthz")
async def health() -> dict[str, str]:
    return {"status": "ok"}
