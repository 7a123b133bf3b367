"""The synchronous client built in a startup hook and used only from plain (threadpool) routes."""

from dapr.clients import DaprClient
from fastapi import FastAPI

app = FastAPI()
state: dict[str, DaprClient] = {}


@app.on_event("startup")
async def connect() -> None:
    state["dapr"] = DaprClient()


@app.on_event("shutdown")
async def disconnect() -> None:
    state.pop("dapr").close()


@app.get("/orders/{order_id}")
def read_order(order_id: str) -> dict[str, str]:
    found = state["dapr"].get_state("statestore", order_id)
    return {"id": order_id, "status": found.data.decode() or "unknown"}
