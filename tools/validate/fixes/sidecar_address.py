"""DAPR013, where the fix is mechanical: the address or port is read from the environment.

- `DaprClient("127.0.0.1:50001")` (the SDK's default address) becomes `DaprClient()`: the client
  then reads DAPR_GRPC_ENDPOINT / DAPR_GRPC_PORT, which default to that same address.
- `DAPR_HTTP_PORT = 3500` becomes `DAPR_HTTP_PORT = int(os.environ.get("DAPR_HTTP_PORT", "3500"))`:
  the same value where the variable is unset, the port `dapr run` chose where it is set.

Nothing changes where the environment is unset. Hard-coded URLs need a person.
"""

from __future__ import annotations

import libcst as cst

from tools.validate.fixes._args import remove_argument
from tools.validate.fixes._imports import add_import
from tools.validate.fixes.base import Fixer
from tools.validate.rules.sidecar_address import PORT_VARIABLES

_IMPORT_OS = cst.parse_statement("import os\n")


class DropDefaultAddress(Fixer):
    rule_id = "DAPR013"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._needs_os = False

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        for index, arg in enumerate(original_node.args):
            positional = index == 0 and arg.keyword is None and arg.star == ""
            named = arg.keyword is not None and arg.keyword.value == "address"
            if (positional or named) and self.targeted(arg.value):
                return remove_argument(updated_node, index)
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        value = updated_node.value
        if not isinstance(value, cst.Integer) or not self.targeted(original_node):
            return updated_node
        port = int(value.evaluated_value)
        variable = PORT_VARIABLES[port]
        self._needs_os = self._needs_os or self.ctx.qualname(cst.Name("os")) is None
        from_environment = cst.parse_expression(f'int(os.environ.get("{variable}", "{port}"))')
        return updated_node.with_changes(value=from_environment)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return add_import(updated_node, _IMPORT_OS) if self._needs_os else updated_node
