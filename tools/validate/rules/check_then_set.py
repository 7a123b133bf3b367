from __future__ import annotations

import ast

from tools.validate.rules._state import state_flows
from tools.validate.rules.base import Invalid, Rule


class CheckThenSet(Rule):
    id = "DAPR017"
    name = "check-then-set-state"
    message = "a state key is checked and then saved: concurrent callers both pass the check"
    why = (
        "Reading a key to see whether something was already done (a processed message id, an "
        "existing order) and saving it afterwards is not atomic. Dapr delivers messages and job "
        "triggers at least once and replicas run side by side, so two deliveries of the same "
        "message can both read 'absent' and both do the work. The store can decide atomically "
        "instead: a save with first-write concurrency and no ETag inserts only if the key is "
        "absent."
    )
    fix = (
        "Claim the key first: `save_state(store, key, value, "
        "options=StateOptions(concurrency=Concurrency.first_write))` (add "
        "`state_metadata={'ttlInSeconds': ...}` for dedupe keys); a conflict means another "
        "delivery has it, so skip (or retry later) instead of doing the work twice."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n"
        "from dapr.clients.grpc._state import Concurrency, StateOptions\n\n"
        "FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)\n\n"
        "async def once(client: DaprClient, message_id: str) -> bool:\n"
        "    seen = await client.get_state('statestore', f'seen:{message_id}')\n"
        "    if seen.data:\n"
        "        return False\n"
        "    await client.save_state('statestore', f'seen:{message_id}', '1', "
        "options=FIRST_WRITE)\n"
        "    return True\n",
        # The check reads a different key than the one saved.
        "from dapr.aio.clients import DaprClient\n\n"
        "async def register(client: DaprClient, user: str, body: str) -> None:\n"
        "    if not (await client.get_state('statestore', 'registrations-open')).data:\n"
        "        return\n"
        "    await client.save_state('statestore', f'user:{user}', body)\n",
        # The save runs only where the item exists: an update (its guard is the read's ETag).
        "from dapr.aio.clients import DaprClient\n\n"
        "async def rename(client: DaprClient, user: str, body: str) -> None:\n"
        "    existing = await client.get_state('statestore', f'user:{user}')\n"
        "    if not existing.data:\n"
        "        raise KeyError(user)\n"
        "    await client.save_state('statestore', f'user:{user}', body)\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def once(client: DaprClient, message_id: str) -> bool:\n"
                "    seen = await client.get_state('statestore', f'seen:{message_id}')\n"
                "    if seen.data:\n"
                "        return False\n"
                "    await client.save_state('statestore', f'seen:{message_id}', '1')\n"
                "    return True\n"
            ),
            line=7,
            col=11,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def create(client: DaprClient, order_id: str, body: str) -> None:\n"
                "    existing = await client.get_state('statestore', order_id)\n"
                "    if not existing.data:\n"
                "        await client.save_state('statestore', order_id, body)\n"
            ),
            line=6,
            col=15,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        for flow in state_flows(self.ctx, module):
            for read, write in flow.pairs():
                # A write of the read's own value is a read-modify-write: DAPR016 reports it.
                if flow.carries(read, write.value):
                    continue
                check = flow.checked_before(read, write)
                if check is not None:
                    self.report(
                        write.call,
                        f"saved after the check on line {check.lineno} of the value read on "
                        f"line {read.call.lineno}: two concurrent deliveries both pass it",
                        within=flow.function,
                    )
