"""DAPR009: `publish_event`/`publish_events` calls get `data_content_type="application/json"`.

Only the calls the rule reported are rewritten, and the rule reports calls on a real Dapr client
only: a project's own `publish_event` (a wrapper with its own signature) would raise TypeError on
the new keyword, so it is never touched.

The keyword is added after the last argument, in the call's own layout (one argument per line stays
one argument per line). Calls with `*args` are left alone: the content type may be among them.
"""

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
