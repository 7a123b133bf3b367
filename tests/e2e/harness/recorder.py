"""Reads a topic through daprd's streaming subscription, from the test process, into a list.

Lets a test watch a topic (a dead-letter topic, say) on the very sidecar under test, without an
extra app: the stream runs in a thread and every message is acknowledged as it arrives.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from dapr.clients import DaprClient
from dapr.conf import settings

from harness.dapr import Sidecar


@dataclass(frozen=True)
class Received:
    id: str
    type: str
    data: Any


class TopicRecorder:
    def __init__(self, sidecar: Sidecar, pubsub: str, topic: str) -> None:
        # The SDK probes its sidecar at construction through process-wide settings.
        settings.DAPR_HTTP_ENDPOINT = sidecar.base_url
        settings.DAPR_API_TOKEN = sidecar.api_token
        self._client = DaprClient(address=f"127.0.0.1:{sidecar.ports.grpc}")
        self._subscription = self._client.subscribe(pubsub, topic)
        self.messages: list[Received] = []
        self._thread = threading.Thread(target=self._read, name=f"recorder-{topic}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                message = self._subscription.next_message()
            except Exception:  # the stream closed (close() or the sidecar went away)
                return
            if message is None:
                continue
            self.messages.append(Received(message.id(), message.type(), message.data()))
            self._subscription.respond_success(message)

    def close(self) -> None:
        self._subscription.close()
        self._client.close()
        self._thread.join(timeout=5.0)
