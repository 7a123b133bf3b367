"""Moving a processed recording out of the inbox."""

from __future__ import annotations

from .webclient import Drive


def archive_item(item_id: str) -> str:
    drive = Drive()  # expect: DAPR008
    return drive.item(item_id)["name"]
