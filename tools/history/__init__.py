"""Prompt History Records and Architecture Decision Records, file-compatible with Spec-Kit Plus.

Records are deterministic (filled from facts and a shipped template), collision-free (ids claimed by
exclusive creation) and checked (`check_history`). Layout:

- PHRs: `history/prompts/{constitution|<feature>|general}/NNNN-<slug>.<stage>.prompt.md`
- ADRs: `history/adr/NNNN-<slug>.md`, indexed in `history/adr/README.md` (regenerated from them)

Where daprdev goes beyond the upstream template, it stays inside the same keys and headings: the
prompt sits in a code fence (so headings inside a prompt never become record sections), and the
number of secrets redacted from the record is the extra evaluation note
`- Secrets redacted: N (kind xN, ...)` (an ADR gets the same line after its References when
anything was redacted).
"""

from tools.history.adr import STATUSES, AdrRecord, create_adr, list_adrs, supersede_adr
from tools.history.check import check_history
from tools.history.layout import STAGES
from tools.history.phr import PhrRecord, create_phr, list_phrs
from tools.history.significance import AdrAssessment, assess_adr

__all__ = [
    "STAGES",
    "STATUSES",
    "AdrAssessment",
    "AdrRecord",
    "PhrRecord",
    "assess_adr",
    "check_history",
    "create_adr",
    "create_phr",
    "list_adrs",
    "list_phrs",
    "supersede_adr",
]
