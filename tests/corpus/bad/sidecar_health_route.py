"""A service's health route that asks the sidecar at a path Dapr does not serve (its route is
/v1.0/healthz): the check reports the sidecar down forever, whatever it does."""

from __future__ import annotations

import os

import httpx
from fastapi import FastAPI

app = FastAPI()
DAPR_HTTP_PORT = os.getenv("DAPR_HTTP_PORT", "3500")


@app.get("/health")
async def health(http: httpx.AsyncClient) -> dict[str, str]:
    response = await http.get(f"http://localhost:{DAPR_HTTP_PORT}/v1.0/health")  # expect: DAPR056
    return {"dapr": "connected" if response.status_code == 204 else "disconnected"}
