"""A Flask subscriber answering each outcome as Dapr reads it."""

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
    except (KeyError, TypeError, ValueError):
        return jsonify({"status": "DROP"})
    except Exception as error:
        log.exception("order failed: %s", error)
        return jsonify({"status": "RETRY"}), 200
    if order.get("test"):
        return "", 204
    return jsonify({"status": "SUCCESS"})


@app.route("/audit", methods=["POST"])
def on_audit():
    log.info("audit %s", request.json)
    return jsonify({"status": "SUCCESS"})
