"""Open questions the agent must not answer itself, recorded where the feature's people see them.

A Claude Code subagent cannot ask the user anything: when it meets a choice that is not its to make,
it records the question here (in `specs/<feature>/decisions/`, or `history/decisions/` without a
feature) and returns it to its caller, who asks the person and resumes the work with the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from tools.errors import UsageError
from tools.history.ids import create_numbered
from tools.history.inputs import clean
from tools.history.markdown import inert

_FEATURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_RECORD_NAME = re.compile(r"^(\d{4})-.*\.md$")
# The record's own headings (markdown.inert keeps the context from writing one).
_STRUCTURE = re.compile(
    r"[ \t]*#{1,6}[ \t]*(?:Open decision\b|(?:Options|Context|Answer)[ \t#]*$)", re.IGNORECASE
)


class DecisionRequest(BaseModel):
    """A recorded open question and what the agent must do next."""

    id: str
    path: str
    message: str


def request_decision(
    root: Path,
    question: str,
    options: Sequence[str],
    context: str,
    feature: str | None = None,
) -> DecisionRequest:
    """Record `question` as an open decision file and tell the agent to stop and hand it back.

    Raises UsageError for an empty question or an unknown feature folder.
    """
    question = question.strip()
    if not question:
        raise UsageError("the question is empty; say what must be decided")
    choices = [o.strip() for o in options if o.strip()]
    # Before anything is derived from the text: the file name, the record and the message.
    (question, choices, context), _ = clean((question, choices, context))
    folder = _folder(root, feature)
    slug = _slug(question)
    record_id, _ = create_numbered(
        root,
        root / folder,
        record_pattern=_RECORD_NAME,
        file_name=lambda record_id: f"{record_id}-{slug}.md",
        render=lambda record_id: _render(int(record_id), question, choices, context, feature),
    )
    number = int(record_id)
    rel = f"{folder}/{record_id}-{slug}.md"
    listed = "".join(f"\n  {i}. {c}" for i, c in enumerate(choices, 1)) or " (none offered)"
    message = (
        f"Decision {number:04d} recorded in {rel}. STOP here: do not guess and do not continue "
        f"work that depends on it. Return this to your caller now, verbatim:\n"
        f"DECISION NEEDED ({rel}): {question}\nOptions:{listed}\n"
        f"Resume once the caller answers (the answer goes under 'Answer' in that file)."
    )
    return DecisionRequest(id=f"{number:04d}", path=rel, message=message)


def _folder(root: Path, feature: str | None) -> str:
    if feature is None or not feature.strip():
        return "history/decisions"
    feature = feature.strip()
    if not _FEATURE_NAME.match(feature) or not (root / "specs" / feature).is_dir():
        raise UsageError(
            f"feature {feature!r} is not a folder under specs/; give the feature folder's name "
            f"(for example '001-task-reminders') or leave it out"
        )
    return f"specs/{feature}/decisions"


def _slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:48].rstrip("-") or "decision"


def _render(
    number: int, question: str, options: Sequence[str], context: str, feature: str | None
) -> str:
    import yaml

    front = {
        "id": f"{number:04d}",
        "status": "open",
        "question": question,
        "options": list(options),
        "feature": feature,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    # The heading and each option stay on one line, and the context cannot open a section of its
    # own: an `## Answer` written by the asker must not pass for the person's answer.
    body = [
        "---",
        yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(),
        "---",
        "",
        f"# Open decision {number:04d}: {' '.join(question.split())}",
        "",
        "## Options",
        "",
        *(
            [f"{i}. {' '.join(option.split())}" for i, option in enumerate(options, 1)]
            or ["(none offered)"]
        ),
        "",
        "## Context",
        "",
        inert(context, _STRUCTURE).strip() or "(none given)",
        "",
        "## Answer",
        "",
        "(to be filled in by the person deciding; then set `status: answered`)",
        "",
    ]
    return "\n".join(body)
