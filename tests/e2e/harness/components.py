"""Dapr resource manifests (components, subscriptions, configuration) written for a sidecar."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tools.specs.components import SQLITE_SYNC

Manifest = dict[str, Any]


def component(name: str, type_: str, metadata: Mapping[str, str] | None = None) -> Manifest:
    return {
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": name},
        "spec": {
            "type": type_,
            "version": "v1",
            "metadata": [{"name": k, "value": v} for k, v in (metadata or {}).items()],
        },
    }


def in_memory_pubsub(name: str) -> Manifest:
    return component(name, "pubsub.in-memory")


def redis_pubsub(name: str, redis_address: str) -> Manifest:
    # Short redelivery: a message left unacknowledged by a crashed sidecar comes back in seconds.
    # Both values are milliseconds (redeliverInterval accepts no duration string in contrib 1.18).
    return component(
        name,
        "pubsub.redis",
        {
            "redisHost": redis_address,
            "redisPassword": "",
            "processingTimeout": "3000",
            "redeliverInterval": "1000",
        },
    )


def in_memory_state(name: str) -> Manifest:
    return component(name, "state.in-memory")


def redis_state(name: str, redis_address: str) -> Manifest:
    return component(name, "state.redis", {"redisHost": redis_address, "redisPassword": ""})


def postgres_state(name: str, connection_string: str, table: str) -> Manifest:
    # Both tables the store's own: PostgreSQL records its migrations under one key of the
    # metadata table, so a store sharing it with another would never create its state table.
    metadata = {
        "connectionString": connection_string,
        "tableName": table,
        "metadataTableName": f"{table}_metadata",
    }
    return component(name, "state.postgresql", metadata)


def sqlite_state(name: str, db_file: Path) -> Manifest:
    """The store as the generated components/ folder ships it (WAL, synced at checkpoints)."""
    return component(name, "state.sqlite", {"connectionString": f"{db_file}?{SQLITE_SYNC}"})


def cron_binding(name: str, schedule: str) -> Manifest:
    return component(name, "bindings.cron", {"schedule": schedule, "direction": "input"})


def localstorage_binding(name: str, root_path: Path) -> Manifest:
    return component(name, "bindings.localstorage", {"rootPath": str(root_path)})


def subscription(
    name: str, *, pubsub: str, topic: str, route: str, scopes: Iterable[str] = ()
) -> Manifest:
    manifest: Manifest = {
        "apiVersion": "dapr.io/v2alpha1",
        "kind": "Subscription",
        "metadata": {"name": name},
        "spec": {"pubsubname": pubsub, "topic": topic, "routes": {"default": route}},
    }
    if scopes:
        manifest["scopes"] = list(scopes)
    return manifest


def configuration(name_resolution_db: Path) -> Manifest:
    """daprd configuration: sqlite name resolution, so no sidecar announces itself by mDNS."""
    return {
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Configuration",
        "metadata": {"name": "daprdev-e2e"},
        "spec": {
            "nameResolution": {
                "component": "sqlite",
                "configuration": {"connectionString": str(name_resolution_db)},
            }
        },
    }


def write_resources(folder: Path, manifests: Iterable[Manifest]) -> Path:
    """One file per manifest in `folder` (created), named after its kind and name."""
    folder.mkdir(parents=True, exist_ok=True)
    for manifest in manifests:
        file = folder / f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"
        file.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return folder
