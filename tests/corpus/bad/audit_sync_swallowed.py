"""An audit subscriber writing through a synchronous session and acking a failed write."""

import logging
from typing import Any

from dapr.ext.fastapi import DaprApp
from fastapi import Body, FastAPI
from sqlmodel import Field, Session, SQLModel, create_engine

engine = create_engine("postgresql://audit@db/audit")
app = FastAPI()
dapr_app = DaprApp(app)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    action: str


@dapr_app.subscribe(pubsub="pubsub", topic="task-events")
def audit(event: dict[str, Any] = Body()) -> dict[str, str]:
    data = event.get("data") or {}
    try:
        with Session(engine) as session:
            session.add(AuditLog(action=str(data.get("event_type", "unknown"))))
            session.commit()
    except Exception as error:  # expect: DAPR033
        logging.getLogger(__name__).error("audit not saved: %s", error)
    return {"status": "SUCCESS"}
