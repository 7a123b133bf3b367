"""Routes that sweep a PostgreSQL-backed state store through Dapr's query API: one reads the first
page of a page-limited query as if it were every match, one never keeps the answer at all, one
follows the token to the last page, and one sets no page limit, so the store answers every match."""

import json

from dapr.aio.clients import DaprClient
from fastapi import FastAPI

app = FastAPI()
client = DaprClient()

EXPIRED = {"filter": {"EQ": {"status": "expired"}}, "page": {"limit": 100}}


@app.post("/carts/sweep")
async def sweep_expired() -> dict:
    answer = await client.query_state("carts", json.dumps(EXPIRED))  # expect: DAPR048
    for item in answer.results:
        await client.delete_state("carts", item.key)
    return {"deleted": len(answer.results)}


@app.get("/carts/expired/count")
async def count_expired() -> dict:
    query = json.dumps(EXPIRED)
    return {"expired": len((await client.query_state("carts", query)).results)}  # expect: DAPR048


@app.post("/carts/sweep-all")
async def sweep_all_expired() -> dict:
    deleted = 0
    token = ""
    while True:
        page = {"limit": 100, "token": token} if token else {"limit": 100}
        query = {"filter": {"EQ": {"status": "expired"}}, "page": page}
        answer = await client.query_state("carts", json.dumps(query))
        for item in answer.results:
            await client.delete_state("carts", item.key)
            deleted += 1
        token = answer.token
        if not token:
            return {"deleted": deleted}


@app.get("/carts/abandoned")
async def abandoned() -> dict:
    query = json.dumps({"filter": {"EQ": {"status": "abandoned"}}})
    answer = await client.query_state("carts", query)
    return {"keys": [item.key for item in answer.results]}
