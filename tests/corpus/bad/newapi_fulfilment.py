"""Fulfilment: another app invoked with no timeout of the caller's own, and a nightly settlement
that never tests whether it got the distributed lock."""

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

app = Flask(__name__)
OWNER = f"fulfilment-{uuid.uuid4()}"


@app.post("/orders/<order_id>/ship")
def ship(order_id: str):
    url = f"{SIDECAR}/v1.0/invoke/inventory/method/reserve/{order_id}"
    try:
        answer = requests.post(url, data="{}")  # expect: DAPR037
        answer.raise_for_status()
    except requests.RequestException as error:
        log.warning("inventory did not reserve %s: %s", order_id, error)
        return jsonify(status="retry later"), 503
    return jsonify(answer.json())


def settle_nightly(client: DaprClient) -> None:
    lock = client.try_lock(LOCKS, "nightly", OWNER, expiry_in_seconds=600)  # expect: DAPR038
    log.info("lock answer: %s", lock)
    try:
        client.invoke_binding("payments", "settle", b"{}")
    finally:
        client.unlock(LOCKS, "nightly", OWNER)


def settle_region(client: DaprClient, region: str) -> None:
    with client.try_lock(LOCKS, f"settlement-{region}", OWNER, 600):  # expect: DAPR038
        client.invoke_binding("payments", "settle", region.encode())
