"""A streaming subscriber: the SDK delivers messages on its own thread; the main thread idles.

Modelled on the SDK's pubsub-streaming examples: `subscribe_with_handler` starts the stream, and
the loop below only keeps the process alive until it is interrupted.
"""

from __future__ import annotations

import json
import logging
import time

from dapr.clients import DaprClient
from dapr.clients.grpc._response import TopicEventResponse
from dapr.clients.grpc.subscription import SubscriptionMessage

log = logging.getLogger("subscriber")


def process_message(message: SubscriptionMessage) -> TopicEventResponse:
    try:
        order = json.loads(message.data())
    except (TypeError, ValueError):
        log.warning("dropping a message that is not JSON: %r", message.data())
        return TopicEventResponse("drop")
    log.info("received order %s", order)
    return TopicEventResponse("success")


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    with DaprClient() as client:
        close = client.subscribe_with_handler(
            pubsub_name="orderpubsub",
            topic="orders",
            handler_fn=process_message,
            dead_letter_topic="orders-dead",
        )
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            log.info("stopping")
        finally:
            close()


if __name__ == "__main__":
    main()
