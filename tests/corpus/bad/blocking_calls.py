"""Blocking calls inside async handlers: ruff's ASYNC rules report them, aliases included."""

from __future__ import annotations

import subprocess
import time as clock

import requests
from fastapi import FastAPI

app = FastAPI()


@app.post("/reports")
async def build_report() -> dict[str, str]:
    clock.sleep(2)  # expect: ASYNC251
    response = requests.get("https://example.com/data", timeout=5)  # expect: ASYNC210
    subprocess.run(["make-report"], check=True)  # expect: ASYNC221
    with open("report.txt") as handle:  # expect: ASYNC230
        return {"report": handle.read() + response.text}
