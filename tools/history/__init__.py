"""Prompt History Records and Architecture Decision Records, file-compatible with Spec-Kit Plus.

Records are deterministic (filled from facts and a shipped template), collision-free (ids claimed by
exclusive creation) and checked (`check_history`). Layout:

- PHRs: `history/prompts/{constitution|<feature>|general}/NNNN-<slug>.<stage>.prompt.md`
- ADRs: `history/adr/NNNN-<slug>.md`, indexed in `history/adr/README.md` (regenerated from them)

Where daprdev goes beyond the upstream template, it stays inside the same keys and headings: the
prompt sits in a code fence (so headings inside a prompt never become record sections), and the
number of secrets redacted from the record is the extra evaluation note
`- Secrets redacted: N (kind xN, ...)`.
"""

from tools.history.phr import PhrRecord, create_phr, list_phrs

__all__ = ["PhrRecord", "create_phr", "list_phrs"]
