"""An audit sink: every event on the topic is logged and acknowledged, whatever its shape.

The payload is never read field by field, so no model is needed to keep a renamed field from
crashing the handler: it is logged as JSON text and echoed back for tracing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI

log = logging.getLogger("audit")
app = FastAPI()
dapr_app = DaprApp(app)


@dapr_app.subscribe(pubsub="orderpubsub", topic="audit")
async def on_audit(event: dict[str, Any]) -> dict[str, Any]:
    log.info("audit event %s", json.dumps(event, sort_keys=True))
    return {"status": "SUCCESS"}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
