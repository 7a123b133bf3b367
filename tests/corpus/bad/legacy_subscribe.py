"""A subscriber that still answers /dapr/subscribe in the format before Dapr 1.0."""

import logging

import flask

app = flask.Flask(__name__)
log = logging.getLogger(__name__)


@app.route("/dapr/subscribe", methods=["GET"])
def subscribe() -> flask.Response:
    return flask.jsonify(["orders"])  # expect: DAPR040


@app.route("/orders", methods=["POST"])
def on_order() -> dict[str, str]:
    log.info("order received")
    return {"status": "SUCCESS"}
