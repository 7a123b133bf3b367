"""Subscriptions listed on a POST route: daprd asks with GET and subscribes nothing."""

from fastapi import APIRouter

router = APIRouter()


@router.post("/dapr/subscribe")  # expect: DAPR042
async def subscribe() -> list[dict[str, str]]:
    return [{"pubsubname": "pubsub", "topic": "task-events", "route": "/events/task"}]


@router.post("/events/task")
async def on_task(event: dict[str, object]) -> dict[str, str]:
    print(event.get("id"))
    return {"status": "SUCCESS"}
