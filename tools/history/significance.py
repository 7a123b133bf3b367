"""The three-part significance test that decides whether a decision deserves an ADR.

All of impact, alternatives and scope must hold. The answer is a suggestion for the user to accept;
this module never creates a record.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

_NEGATIVE = frozenset({"", "no", "false", "none", "n/a", "na", "0", "-"})
_CRITERIA = {
    "impact": "it has no long-term consequence for architecture, platform or security",
    "alternatives": "no other viable option was weighed",
    "scope": "it stays inside one module instead of cutting across the system",
}


class AdrAssessment(BaseModel):
    """The verdict; `suggestion` is the line to show the user when the decision is significant."""

    significant: bool
    suggestion: str | None = None
    failed: list[str] = Field(default_factory=list)
    reason: str


def _holds(answer: bool | str | None) -> bool:
    if isinstance(answer, str):
        return answer.strip().lower() not in _NEGATIVE
    return bool(answer)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def assess_adr(
    *,
    impact: bool | str | None,
    alternatives: bool | str | None,
    scope: bool | str | None,
    brief: str,
    title: str,
) -> AdrAssessment:
    """Apply the test; each criterion is a bool or a short justification (empty/"no" = fails)."""
    answers = {"impact": impact, "alternatives": alternatives, "scope": scope}
    failed = [name for name, answer in answers.items() if not _holds(answer)]
    if failed:
        why = "; ".join(_CRITERIA[name] for name in failed)
        return AdrAssessment(
            significant=False,
            failed=failed,
            reason=f"Not ADR-worthy ({why}); note the decision in the PHR instead.",
        )
    decision_title = _one_line(title) or _one_line(brief)
    summary = _one_line(brief) or decision_title
    suggestion = (
        f"📋 Architectural decision detected: {summary} — Document reasoning and tradeoffs? "
        f"Run `/sp.adr {decision_title}`"
    )
    return AdrAssessment(
        significant=True,
        suggestion=suggestion,
        reason="Impact, alternatives and scope all hold; ask the user before recording it.",
    )
