"""Job trigger echo: the handler only reads and logs the trigger's payload. A payload it cannot
read fails the same way on every retry, so acknowledging the trigger loses nothing."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request

log = logging.getLogger("job_echo")
app = FastAPI()


@app.post("/job/{name}")
async def on_job(name: str, request: Request) -> dict[str, str]:
    try:
        text = (await request.body()).decode("utf-8")
        log.info("job %s triggered with %s", name, text)
    except Exception:
        log.exception("job %s sent a payload that is no text", name)
    return {"job": name}
