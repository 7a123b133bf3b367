"""State helpers of an agent-built API that take the sidecar's whole address as a default argument:
wherever the sidecar listens elsewhere, every caller that leaves it out reaches nothing."""

from __future__ import annotations

import httpx


async def read_profile(
    http: httpx.AsyncClient,
    user_id: str,
    dapr_http_endpoint: str = "http://localhost:3500",  # expect: DAPR022
) -> bytes:
    response = await http.get(f"{dapr_http_endpoint}/v1.0/state/profiles/{user_id}")
    response.raise_for_status()
    return response.content


async def forget_profile(
    http: httpx.AsyncClient,
    user_id: str,
    base_url: str = "http://127.0.0.1:3500",  # expect: DAPR022
) -> None:
    response = await http.delete(f"{base_url}/v1.0/state/profiles/{user_id}")
    response.raise_for_status()
