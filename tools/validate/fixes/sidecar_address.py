"""DAPR013: `DaprClient("127.0.0.1:50001")` (the SDK's default address) becomes `DaprClient()`.

Without the literal the client reads DAPR_GRPC_ENDPOINT / DAPR_GRPC_PORT, which default to the same
address, so nothing changes where they are unset. Other hard-coded addresses need a person.
"""

from __future__ import annotations

import libcst as cst

from tools.validate.fixes._args import remove_argument
from tools.validate.fixes.base import Fixer


class DropDefaultAddress(Fixer):
    rule_id = "DAPR013"

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        for index, arg in enumerate(original_node.args):
            positional = index == 0 and arg.keyword is None and arg.star == ""
            named = arg.keyword is not None and arg.keyword.value == "address"
            if (positional or named) and self.targeted(arg.value):
                return remove_argument(updated_node, index)
        return updated_node
