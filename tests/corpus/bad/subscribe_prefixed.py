"""Subscriptions listed under a router's prefix: daprd asks /dapr/subscribe and finds none."""

from fastapi import APIRouter, FastAPI

router = APIRouter(prefix="/events")


@router.get("/dapr/subscribe")  # expect: DAPR058
async def subscribe() -> list[dict[str, str]]:
    return [{"pubsubname": "pubsub", "topic": "task-events", "route": "/events/task"}]


@router.post("/task")
async def on_task(event: dict[str, object]) -> dict[str, str]:
    print(event.get("id"))
    return {"status": "SUCCESS"}


app = FastAPI()
app.include_router(router)
