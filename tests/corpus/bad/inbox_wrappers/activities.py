"""The inbox activities: every run builds the wrappers, and with them new clients."""

from __future__ import annotations

from typing import Any

from .archive import archive_item, forget_item
from .store import InboxStore
from .webclient import Drive, WebClient


def list_inbox(ctx: Any, item_ids: list[str]) -> list[str]:
    store = InboxStore()  # expect: DAPR008
    return [item_id for item_id in item_ids if not store.seen(item_id)]


def fetch_item(ctx: Any, item_id: str) -> str:
    web = WebClient()  # expect: DAPR008
    # Handed the WebClient, the drive still builds its own InboxStore for the tokens.
    drive = Drive(web)  # expect: DAPR008
    return drive.item(item_id)["name"]


def archive(ctx: Any, item_id: str) -> str:
    name = archive_item(item_id)
    forget_item(item_id)
    return name
