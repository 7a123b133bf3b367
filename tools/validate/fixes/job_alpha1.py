"""DAPR010: `schedule_job_alpha1`/`get_job_alpha1`/`delete_job_alpha1` become the stable methods.

The stable methods take the same arguments and fall back to the alpha1 API on older runtimes by
themselves. A raw alpha1 jobs URL is left to a person: the right path depends on the runtime
version.
"""

from __future__ import annotations

import libcst as cst

from tools.validate.fixes.base import Fixer
from tools.validate.rules.job_alpha1 import DEPRECATED


class StableJobCalls(Fixer):
    rule_id = "DAPR010"

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        stable = DEPRECATED.get(updated_node.attr.value)
        if stable is None or not self.targeted(original_node):
            return updated_node
        return updated_node.with_changes(attr=updated_node.attr.with_changes(value=stable))
