"""An audit subscriber choosing between two statuses daprd does not know."""

from typing import Any

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI

app = FastAPI()
dapr_app = DaprApp(app)
seen: set[str] = set()


@dapr_app.subscribe(pubsub="pubsub", topic="audit")
async def on_audit(event: dict[str, Any]) -> dict[str, str]:
    fresh = str(event.get("id")) not in seen
    return {"status": "processed" if fresh else "duplicate"}  # expect: DAPR005
