"""A project-summary store that merges updates through bulk saves, the way framework helpers in
worker fleets often do: the item is read, merged and written back as a StateItem."""

from __future__ import annotations

import json
from typing import Any

from dapr.aio.clients import DaprClient
from dapr.clients.grpc._state import StateItem

STORE = "projects"


async def merge_summary(client: DaprClient, project_id: str, delta: dict[str, Any]) -> None:
    state = await client.get_state(STORE, project_id)
    summary = json.loads(state.data or b"{}")
    summary.update(delta)
    items = [StateItem(key=project_id, value=json.dumps(summary))]  # expect: DAPR016
    await client.save_bulk_state(STORE, items)


async def merge_summary_guarded(client: DaprClient, project_id: str, delta: dict[str, Any]) -> None:
    state = await client.get_state(STORE, project_id)
    summary = json.loads(state.data or b"{}")
    summary.update(delta)
    items = [StateItem(key=project_id, value=json.dumps(summary), etag=state.etag)]
    await client.save_bulk_state(STORE, items)
