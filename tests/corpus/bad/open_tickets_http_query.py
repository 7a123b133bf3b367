"""A support-desk service that queries its state store over the sidecar's HTTP API: one route reads
the first page of a page-limited query as if it were every match, a helper lists only the first page
with aiohttp, one counts the first page, one follows the token to the last page, and one
hands the whole answer, token included, to its caller."""

import json
import os

import aiohttp
import httpx
from fastapi import FastAPI

app = FastAPI()
DAPR_URL = f"http://localhost:{os.getenv('DAPR_HTTP_PORT', '3500')}"
QUERY_URL = f"{DAPR_URL}/v1.0-alpha1/state/tickets/query"
http = httpx.AsyncClient(base_url=DAPR_URL)
OPEN = {"filter": {"EQ": {"status": "open"}}, "page": {"limit": 25}}


@app.get("/tickets/open")
async def open_tickets() -> list[dict]:
    response = await http.post(QUERY_URL, json=OPEN)  # expect: DAPR048
    response.raise_for_status()
    return [item["data"] for item in response.json()["results"]]


async def stale_tickets(session: aiohttp.ClientSession) -> list[str]:
    query = {"filter": {"EQ": {"status": "stale"}}, "page": {"limit": 25}}
    async with session.post(QUERY_URL, data=json.dumps(query)) as answer:  # expect: DAPR048
        body = await answer.json()
    return [item["key"] for item in body["results"]]


@app.get("/tickets/open/count")
async def count_open() -> dict:
    answer = (await http.post(QUERY_URL, json=OPEN)).json()  # expect: DAPR048
    return {"open": len(answer["results"])}


@app.get("/tickets/open/all")
async def all_open_tickets() -> list[dict]:
    found: list[dict] = []
    page: dict = {"limit": 25}
    while True:
        response = await http.post(QUERY_URL, json={**OPEN, "page": page})
        data = response.json()
        found.extend(item["data"] for item in data["results"])
        if not data.get("token"):
            return found
        page = {"limit": 25, "token": data["token"]}


@app.get("/tickets/open/page")
async def open_page() -> dict:
    response = await http.post(QUERY_URL, json=OPEN)
    return response.json()
