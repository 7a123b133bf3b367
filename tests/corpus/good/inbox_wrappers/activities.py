"""The inbox activities: the clients are built once per worker process and shared by every run."""

from __future__ import annotations

from typing import Any

from .store import InboxStore
from .webclient import Drive, ItemKey, WebClient

store = InboxStore()
web = WebClient()
drive = Drive(web, InboxStore("tokenstore"))


def list_inbox(ctx: Any, item_ids: list[str]) -> list[str]:
    key = ItemKey("seen")
    return [item_id for item_id in item_ids if not store.seen(key.of(item_id))]


def fetch_item(ctx: Any, item_id: str) -> str:
    # Handed both clients, this drive builds none of its own.
    return Drive(web, store).item(item_id)["name"]


def archive(ctx: Any, item_id: str) -> str:
    return drive.item(item_id)["name"]
