"""An audit subscriber whose synchronous writer answers False on a failed write, acked anyway."""

import logging
from typing import Any

from dapr.ext.fastapi import DaprApp
from fastapi import Body, FastAPI
from sqlmodel import Field, Session, SQLModel, create_engine

engine = create_engine("postgresql://audit@db/audit")
app = FastAPI()
dapr_app = DaprApp(app)
log = logging.getLogger(__name__)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    action: str


def write_entry(action: str) -> bool:
    try:
        with Session(engine) as session:
            session.add(AuditLog(action=action))
            session.commit()
    except Exception:
        log.exception("audit write failed")
        return False
    return True


@dapr_app.subscribe(pubsub="pubsub", topic="task-events")
def audit(event: dict[str, Any] = Body()) -> dict[str, str]:
    data = event.get("data") or {}
    written = write_entry(str(data.get("event_type", "unknown")))
    if written:
        log.info("audit entry written")
    else:
        log.error("audit entry not written")
    return {"status": "SUCCESS"}  # expect: DAPR033
