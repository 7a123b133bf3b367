"""A subscription handler that takes the CloudEvents SDK's event class as its body."""

import logging

from cloudevents.http import CloudEvent
from fastapi import APIRouter

router = APIRouter()
logger = logging.getLogger(__name__)


@router.get("/dapr/subscribe")
def subscribe() -> list[dict[str, str]]:
    return [{"pubsubname": "pubsub", "topic": "reminders", "route": "/events/reminder"}]


@router.post("/events/reminder")
async def on_reminder(event: CloudEvent) -> dict[str, str]:  # expect: DAPR041
    logger.info("reminder %s", event.get("id"))
    return {"status": "SUCCESS"}
