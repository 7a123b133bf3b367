"""DAPR009: publish_event/publish_events get `data_content_type="application/json"`."""

from __future__ import annotations

import libcst as cst

from tools.validate.fixes._args import append_argument
from tools.validate.fixes.base import Fixer

CONTENT_TYPE = cst.Arg(
    keyword=cst.Name("data_content_type"),
    value=cst.SimpleString('"application/json"'),
    equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    ),
)


class AddJsonContentType(Fixer):
    rule_id = "DAPR009"

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if not self.targeted(original_node):
            return updated_node
        return append_argument(updated_node, CONTENT_TYPE)
