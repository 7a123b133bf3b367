"""A Flask subscriber whose answers Dapr reads otherwise than meant."""

import json
import logging

from flask import Flask, jsonify, request

log = logging.getLogger(__name__)
app = Flask(__name__)


@app.route("/dapr/subscribe", methods=["GET"])
def subscribe():
    return jsonify(
        [
            {"pubsubname": "pubsub", "topic": "orders", "route": "orders"},
            {"pubsubname": "pubsub", "topic": "audit", "route": "audit"},
        ]
    )


@app.route("/orders", methods=["POST"])
def on_order():
    try:
        order = json.loads(request.json["data"])
        log.info("order %s", order["id"])
    except Exception as error:
        return jsonify({"error": str(error)}), 500  # expect: DAPR032
    if order.get("test"):
        return jsonify({"status": "IGNORED"})  # expect: DAPR005
    return jsonify({"status": "SUCCESS"})


@app.route("/audit", methods=["POST"])
def on_audit():  # expect: DAPR005
    log.info("audit %s", request.json)
