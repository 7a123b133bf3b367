"""A contention demo in the shape of workflow labs: worker threads get the client and their number
in an argument tuple, and one of them forces a stale ETag as a number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dapr.clients import DaprClient
from dapr.clients.grpc._state import Concurrency, Consistency, StateOptions

STORE = "statestore"
KEY = "contended"
FIRST_WRITE = StateOptions(consistency=Consistency.strong, concurrency=Concurrency.first_write)


def contend(job: tuple[DaprClient, int]) -> None:
    client = job[0]
    worker = job[1]
    current = client.get_state(store_name=STORE, key=KEY)
    etag = current.etag if worker == 0 else 12345
    client.save_state(
        store_name=STORE,
        key=KEY,
        value=f"worker-{worker}",
        etag=etag,  # expect: DAPR023
        options=FIRST_WRITE,
    )


def main() -> None:
    with DaprClient() as client, ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(contend, [(client, n) for n in range(4)]))


if __name__ == "__main__":
    main()
