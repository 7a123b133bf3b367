"""A one-shot publisher: sends a batch of orders with the sync client, then exits.

Modelled on the SDK's pub/sub examples. Nothing else runs in this process, so the blocking client
stalls no one; the address comes from the environment (DAPR_GRPC_ENDPOINT), as `dapr run` sets it.
"""

from __future__ import annotations

import argparse
import json
import logging
import time

from dapr.clients import DaprClient

log = logging.getLogger("publisher")
# Printed as a hint only; DaprClient() reads the environment.
DEFAULT_HINT = "dapr run --app-id publisher -- python order_publisher_script.py"


def publish(count: int, delay: float) -> None:
    with DaprClient() as client:
        for number in range(1, count + 1):
            order = {"order_id": f"order-{number}", "quantity": number}
            client.publish_event(
                pubsub_name="orderpubsub",
                topic_name="orders",
                data=json.dumps(order),
                data_content_type="application/json",
            )
            client.publish_event("orderpubsub", "heartbeat", f"sent order {number}")
            log.info("published %s", order["order_id"])
            time.sleep(delay)


def main() -> None:
    parser = argparse.ArgumentParser(description=f"Publish test orders ({DEFAULT_HINT})")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--delay", type=float, default=1.0)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    publish(arguments.count, arguments.delay)


if __name__ == "__main__":
    main()
