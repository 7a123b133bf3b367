"""A loyalty service reading balances over the sidecar's HTTP state API: every answer but 200 is
taken for "no balance yet", so a store outage resets a customer's points when the next award is
saved over them."""

import os

import httpx

SIDECAR = os.environ.get("SIDECAR_URL", "")
STORE = "loyalty"


async def balance(http: httpx.AsyncClient, customer: str) -> dict:
    response = await http.get(f"{SIDECAR}/v1.0/state/{STORE}/{customer}")
    if response.status_code != 200:
        return {}  # expect: DAPR057
    return response.json()


async def history(http: httpx.AsyncClient, customer: str) -> list:
    try:
        response = await http.get(f"{SIDECAR}/v1.0/state/{STORE}/history-{customer}")
        response.raise_for_status()
        return [] if response.status_code == 204 else response.json()
    except httpx.HTTPError:
        return []  # expect: DAPR057


async def award(http: httpx.AsyncClient, customer: str, points: int) -> None:
    response = await http.get(f"{SIDECAR}/v1.0/state/{STORE}/{customer}")
    current = response.json() if response.status_code == 200 else {}  # expect: DAPR057
    current["points"] = current.get("points", 0) + points
    item = {
        "key": customer,
        "value": current,
        "etag": response.headers.get("etag"),
        "options": {"concurrency": "first-write"},
    }
    saved = await http.post(f"{SIDECAR}/v1.0/state/{STORE}", json=[item])
    saved.raise_for_status()
