"""A synchronous one-off admin script: the blocking client is fine where nothing else runs."""

from __future__ import annotations

import sys

from dapr.clients import DaprClient


def purge(keys: list[str]) -> None:
    with DaprClient() as client:
        for key in keys:
            client.delete_state("statestore", key)


if __name__ == "__main__":
    purge(sys.argv[1:])
