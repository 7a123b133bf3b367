from __future__ import annotations

import ast

from tools.validate.rules._state import state_flows
from tools.validate.rules.base import Invalid, Rule


class StateWithoutEtag(Rule):
    id = "DAPR016"
    name = "state-update-without-etag"
    message = "a state item is read, changed and saved back without its ETag"
    why = (
        "Without an ETag a save is last-write-wins: when two requests or deliveries read the same "
        "item, change it and save it, one change silently overwrites the other (a lost update). "
        "Dapr returns an ETag with every read; passing it back makes the store refuse a save "
        "over a newer version (HTTP 409, gRPC ABORTED) so the caller can read again and retry."
    )
    fix = (
        "Save with `etag=state.etag` from the `get_state` response (and a StateOptions with "
        "first-write concurrency where the store needs it), catch the conflict and retry the "
        "read-modify-write a bounded number of times; in a transaction, give each upsert its "
        "`etag`. A helper that reads or saves for its callers has to hand the ETag out and "
        "take it back."
    )
    VALID = (
        "import json\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "async def add_item(client: DaprClient, cart_id: str, item: str) -> None:\n"
        "    state = await client.get_state('statestore', cart_id)\n"
        "    cart = json.loads(state.data or b'[]')\n"
        "    cart.append(item)\n"
        "    await client.save_state('statestore', cart_id, json.dumps(cart), etag=state.etag)\n",
        # First-write options: the store refuses a concurrent write.
        "import json\n"
        "from dapr.aio.clients import DaprClient\n"
        "from dapr.clients.grpc._state import Concurrency, StateOptions\n\n"
        "FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)\n\n"
        "async def bump(client: DaprClient, key: str) -> None:\n"
        "    state = await client.get_state('statestore', key)\n"
        "    count = int(state.data or b'0') + 1\n"
        "    await client.save_state('statestore', key, str(count), state.etag, FIRST_WRITE)\n",
        # The saved value does not come from the read: a deliberate overwrite.
        "import logging\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "async def replace(client: DaprClient, key: str, body: str) -> None:\n"
        "    old = await client.get_state('statestore', key)\n"
        "    logging.info('replacing %d bytes', len(old.data))\n"
        "    await client.save_state('statestore', key, body)\n",
        # A one-shot migration script: nothing runs concurrently with it.
        "import asyncio\n"
        "from dapr.aio.clients import DaprClient\n\n"
        "async def main() -> None:\n"
        "    async with DaprClient() as client:\n"
        "        state = await client.get_state('statestore', 'schema')\n"
        "        await client.save_state('statestore', 'schema', state.text() + '-v2')\n\n"
        "asyncio.run(main())\n",
        # The project's own store wrapper, not the SDK's methods.
        "from dapr.aio.clients import DaprClient\n\n"
        "class Carts:\n"
        "    async def get_state(self, store: str, key: str) -> list[str]: ...\n"
        "    async def save_state(self, store: str, key: str, items: list[str]) -> None: ...\n\n"
        "async def add_item(carts: Carts, cart_id: str, item: str) -> None:\n"
        "    cart = await carts.get_state('carts', cart_id)\n"
        "    await carts.save_state('carts', cart_id, [*cart, item])\n",
        # A bulk save's item carries the read's ETag.
        "import json\n"
        "from dapr.aio.clients import DaprClient\n"
        "from dapr.clients.grpc._state import StateItem\n\n"
        "async def rename(client: DaprClient, key: str, name: str) -> None:\n"
        "    state = await client.get_state('statestore', key)\n"
        "    profile = json.loads(state.data or b'{}')\n"
        "    profile['name'] = name\n"
        "    item = StateItem(key, json.dumps(profile), etag=state.etag)\n"
        "    await client.save_bulk_state('statestore', [item])\n",
    )
    INVALID = (
        # The same read-modify-write through a bulk save's item.
        Invalid(
            (
                "import json\n"
                "from dapr.aio.clients import DaprClient\n"
                "from dapr.clients.grpc._state import StateItem\n\n"
                "async def rename(client: DaprClient, key: str, name: str) -> None:\n"
                "    state = await client.get_state('statestore', key)\n"
                "    profile = json.loads(state.data or b'{}')\n"
                "    profile['name'] = name\n"
                "    item = StateItem(key=key, value=json.dumps(profile))\n"
                "    await client.save_bulk_state('statestore', [item])\n"
            ),
            line=9,
            col=12,
        ),
        Invalid(
            (
                "import json\n"
                "from dapr.aio.clients import DaprClient\n\n"
                "async def add_item(client: DaprClient, cart_id: str, item: str) -> None:\n"
                "    state = await client.get_state('statestore', cart_id)\n"
                "    cart = json.loads(state.data or b'[]')\n"
                "    cart.append(item)\n"
                "    await client.save_state('statestore', cart_id, json.dumps(cart))\n"
            ),
            line=8,
            col=11,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n"
                "from dapr.clients.grpc._request import TransactionalStateOperation\n\n"
                "async def move(client: DaprClient, key: str) -> None:\n"
                "    order = (await client.get_state('statestore', key)).json()\n"
                "    order['status'] = 'shipped'\n"
                "    await client.execute_state_transaction(\n"
                "        'statestore', [TransactionalStateOperation(key, str(order))]\n"
                "    )\n"
            ),
            line=8,
            col=24,
        ),
        # A wrapper whose methods share the SDK's names: its own calls go through the wrappers.
        Invalid(
            (
                "import json\n\n"
                "from dapr.aio.clients import DaprClient\n\n"
                "class Sessions:\n"
                "    def __init__(self, client: DaprClient) -> None:\n"
                "        self.client = client\n\n"
                "    async def get_state(self, key: str) -> dict:\n"
                "        state = await self.client.get_state('statestore', key)\n"
                "        return json.loads(state.data or b'{}')\n\n"
                "    async def save_state(self, key: str, data: dict) -> None:\n"
                "        await self.client.save_state('statestore', key, json.dumps(data))\n\n"
                "    async def touch(self, key: str, message: str) -> None:\n"
                "        context = await self.get_state(key)\n"
                "        await self.save_state(key, {**context, 'last': message})\n"
            ),
            line=18,
            col=15,
        ),
        # Through the project's own helpers: `load` hands back the data without its ETag.
        Invalid(
            (
                "import json\n"
                "from dapr.clients import DaprClient\n\n"
                "client = DaprClient()\n\n"
                "def load(key: str) -> dict:\n"
                "    return json.loads(client.get_state('statestore', key).data or b'{}')\n\n"
                "def store(key: str, value: dict) -> None:\n"
                "    client.save_state('statestore', key, json.dumps(value))\n\n"
                "def take(sku: str, count: int) -> None:\n"
                "    stock = load(sku)\n"
                "    stock['count'] -= count\n"
                "    store(sku, stock)\n"
            ),
            line=15,
            col=5,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        for flow in state_flows(self.ctx, module):
            for read, write in flow.pairs():
                if flow.carries(read, write.value):
                    self.report(
                        write.call,
                        f"the item read on line {read.call.lineno} is changed and saved back "
                        "without its ETag: a concurrent update in between is lost",
                        within=flow.function,
                    )
