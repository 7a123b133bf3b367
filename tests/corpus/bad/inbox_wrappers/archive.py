"""Moving a processed recording out of the inbox."""

from __future__ import annotations

from dapr.clients import DaprClient

from .webclient import Drive


def archive_item(item_id: str) -> str:
    drive = Drive()  # expect: DAPR008
    return drive.item(item_id)["name"]


def forget_item(item_id: str) -> None:
    # Nothing here says how often this runs: the activity in activities.py calls it per run.
    with DaprClient() as client:  # expect: DAPR008
        client.delete_state("inboxstore", item_id)
