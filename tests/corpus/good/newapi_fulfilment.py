"""Fulfilment: another app invoked with the caller's own timeout, a nightly settlement under a
distributed lock whose answer is tested and which is released whatever happens."""

from __future__ import annotations

import logging
import os
import uuid

import requests
from dapr.clients import DaprClient
from flask import Flask, jsonify

log = logging.getLogger(__name__)
SIDECAR = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"
LOCKS = "lockstore"
# Connect, read: a hung callee fails this request instead of holding its worker.
TIMEOUT = (3, 10)

app = Flask(__name__)
http = requests.Session()
# One owner per process: another replica's unlock can never release this one's lock.
OWNER = f"fulfilment-{uuid.uuid4()}"


@app.post("/orders/<order_id>/ship")
def ship(order_id: str):
    headers = {"dapr-app-id": "inventory", "content-type": "application/json"}
    try:
        answer = http.post(
            f"{SIDECAR}/reserve/{order_id}", data="{}", headers=headers, timeout=TIMEOUT
        )
        answer.raise_for_status()
    except requests.RequestException as error:
        log.warning("inventory did not reserve %s: %s", order_id, error)
        return jsonify(status="retry later"), 503
    return jsonify(answer.json())


def settle_nightly(client: DaprClient) -> bool:
    """Settle once across replicas; False when another replica holds the lock."""
    lock = client.try_lock(LOCKS, "nightly-settlement", OWNER, expiry_in_seconds=600)
    if not lock.success:
        return False
    try:
        client.invoke_binding("payments", "settle", b"{}")
    finally:
        client.unlock(LOCKS, "nightly-settlement", OWNER)
    return True
