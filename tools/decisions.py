"""Open questions the agent must not answer itself, recorded where the feature's people see them.

A question is recorded once, in `specs/<feature>/decisions/` (or `history/decisions/` without a
feature): asked again with the same text, options and feature, it is the same record, answered or
not. Where the MCP client can ask its user (elicitation, tools.decision_tools), the person's reply
is written into that record and handed to the agent; otherwise the agent stops and returns the
question to its caller, who answers in the file (`status: answered`, text under `## Answer`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.decision_record import DecisionRecord, DecisionRequest, Reply, Status
from tools.errors import PathRefused, UsageError
from tools.history.frontmatter import nullable, quoted, split_front_matter
from tools.history.ids import create_numbered, replace_file
from tools.history.inputs import clean
from tools.history.markdown import inert, sections
from tools.limits import MAX_ANSWER_CHARS, MAX_DECISION_OPTIONS, MAX_LISTED_DECISIONS
from tools.workspace import Workspace

_FEATURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_RECORD_NAME = re.compile(r"^(\d{4})-.*\.md$")
# The record's own headings (markdown.inert keeps the context and the answer from writing one).
_STRUCTURE = re.compile(
    r"[ \t]*#{1,6}[ \t]*(?:Open decision\b|(?:Options|Context|Answer)[ \t#]*$)", re.IGNORECASE
)
_GENERAL = "history/decisions"
_PLAIN = frozenset({"status", "created", "reply", "replied"})
_PLACEHOLDER = "(to be filled in by the person deciding; then set `status: answered`)"


@dataclass(frozen=True)
class Question:
    """What the caller asked, as a record holds it (checked and redacted)."""

    question: str
    options: list[str]
    context: str


def as_recorded(question: str, options: Sequence[str], context: str) -> Question:
    """The caller's question, options and context as the record holds them.

    Raises UsageError for an empty question or too many options, HistoryError for text a record
    cannot hold.
    """
    question = question.strip()
    if not question:
        raise UsageError("the question is empty; say what must be decided")
    # A choice among the options is one enum value: each once, in the order given.
    choices = list(dict.fromkeys(o.strip() for o in options if o.strip()))
    if len(choices) > MAX_DECISION_OPTIONS:
        raise UsageError(
            f"{len(choices)} options; offer at most {MAX_DECISION_OPTIONS} (the person picks one)"
        )
    # Before anything is derived from the text: the file name, the record and the message.
    (question, choices, context), _ = clean((question, choices, context))
    return Question(question, choices, context)


def request_decision(
    root: Path,
    question: str,
    options: Sequence[str],
    context: str,
    feature: str | None = None,
) -> DecisionRequest:
    """The record of this question: found when it was asked before, else created `status: open`.

    Raises UsageError for an empty question or an unknown feature folder.
    """
    asked = as_recorded(question, options, context)
    folder = _folder(root, feature)
    workspace = Workspace(root)
    # Looked up and created under the root lock, so two servers asking at once share one record.
    with workspace.locked():
        for record, _ in _records(workspace, folder):
            if record.question == asked.question and record.options == asked.options:
                return _request(record)
        slug = _slug(asked.question)
        record_id, _ = create_numbered(
            root,
            root / folder,
            record_pattern=_RECORD_NAME,
            file_name=lambda record_id: f"{record_id}-{slug}.md",
            render=lambda record_id: _render(int(record_id), asked, feature),
        )
    path = f"{folder}/{record_id}-{slug}.md"
    return _request(
        DecisionRecord(
            id=record_id, path=path, status="open", question=asked.question, options=asked.options
        )
    )


def record_reply(root: Path, path: str, reply: Reply, choice: str, text: str) -> DecisionRequest:
    """Write the person's reply into the record at `path` (accept: the answer) and return it.

    A record answered meanwhile (by hand, or by another client) keeps its answer.
    """
    (choice, text), _ = clean((choice.strip(), text.strip()))
    workspace = Workspace(root)
    with workspace.locked():
        document = workspace.read_text(path)
        record = _parsed(path, document)
        if record is None:
            raise UsageError(f"{path} is no longer a decision record; nothing was recorded")
        if record.status == "answered":
            return _request(record)
        if reply == "accept" and (choice not in record.options if record.options else not text):
            raise UsageError(
                f"the answer to {path} must pick one of its options or, without options, say "
                "something; nothing was recorded"
            )
        front = dict(split_front_matter(document).data or {})
        front.update(reply=reply, replied=_now())
        if reply == "accept":
            front.update(status="answered", choice=choice or None, text=text)
            answer = "\n\n".join(part for part in (choice, inert(text, _STRUCTURE)) if part)
        else:
            answer = (
                f"(the person {'declined' if reply == 'decline' else 'dismissed'} the question "
                f"in their client on {front['replied']}; it is still open) {_PLACEHOLDER}"
            )
        updated = _with_answer(document, front, answer)
        replace_file(root, workspace.root / path, updated)
    reread = _parsed(path, updated)
    assert reread is not None  # rendered from a record that parsed
    return _request(reread)


def list_decisions(root: Path, status: Status | None = None) -> list[DecisionRecord]:
    """Decision records (`status` open or answered, or both), by folder then id; at most
    MAX_LISTED_DECISIONS, answer texts cut at MAX_ANSWER_CHARS."""
    workspace = Workspace(root)
    folders = [_GENERAL] + [
        f"specs/{name}/decisions" for name in sorted(workspace.names_in("specs"))
    ]
    found = []
    for folder in folders:
        try:
            records = _records(workspace, folder)
        except PathRefused:
            continue  # a file under specs/, or a folder reached through a symlink: not read
        found += [record for record, _ in records if status is None or record.status == status]
    return [_shortened(record) for record in found[:MAX_LISTED_DECISIONS]]


# -- the record ---------------------------------------------------------------------------------


def _records(workspace: Workspace, folder: str) -> list[tuple[DecisionRecord, str]]:
    """Every readable decision record in `folder`, in id order, with its text."""
    found = []
    for name in sorted(workspace.names_in(folder)):
        if not _RECORD_NAME.match(name):
            continue
        path = f"{folder}/{name}"
        try:
            document = workspace.read_text(path)
        except UsageError:
            continue  # not a readable text file: not a record this module wrote or can read
        if (record := _parsed(path, document)) is not None:
            found.append((record, document))
    return found


def _parsed(path: str, document: str) -> DecisionRecord | None:
    """The record `document` holds, or None when its front matter is not a decision's."""
    front = split_front_matter(document).data or {}
    options = front.get("options") or []
    status = front.get("status")
    if not isinstance(front.get("question"), str) or status not in ("open", "answered"):
        return None
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        return None
    reply = front.get("reply")
    return DecisionRecord(
        id=str(front.get("id") or path.rsplit("/", 1)[-1][:4]),
        path=path,
        status=status,
        question=front["question"],
        options=options,
        feature=_text_or_none(front.get("feature")),
        choice=_text_or_none(front.get("choice")),
        # An answer written by hand lives under `## Answer`, not in the front matter.
        text=_text_or_none(front.get("text")) or _answer_section(document, status),
        reply=reply if reply in ("accept", "decline", "cancel") else None,
    )


def _answer_section(document: str, status: str) -> str | None:
    if status != "answered":
        return None
    body = split_front_matter(document).body
    answers = [s for s in sections(body) if s.level == 2 and s.title == "Answer"]
    text = answers[-1].content.strip() if answers else ""
    return text if text and text != _PLACEHOLDER else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _shortened(record: DecisionRecord) -> DecisionRecord:
    if record.text is None or len(record.text) <= MAX_ANSWER_CHARS:
        return record
    cut = record.text[:MAX_ANSWER_CHARS] + f"… (the whole answer is in {record.path})"
    return record.model_copy(update={"text": cut})


def _request(record: DecisionRecord) -> DecisionRequest:
    """What the agent is told: the answer when there is one, else to stop and hand it back."""
    number = f"Decision {record.id}"
    if record.status == "answered":
        answer = "; ".join(part for part in (record.choice, record.text) if part) or "(no text)"
        return DecisionRequest(
            id=record.id,
            path=record.path,
            answered=True,
            choice=record.choice or "",
            text=record.text or "",
            message=(f"{number} is answered ({record.path}): {answer}. Continue with this answer."),
        )
    listed = "".join(f"\n  {i}. {c}" for i, c in enumerate(record.options, 1))
    declined = {"decline": " The person declined to answer.", "cancel": " The person dismissed it."}
    return DecisionRequest(
        id=record.id,
        path=record.path,
        message=(
            f"{number} recorded in {record.path}.{declined.get(record.reply or '', '')} STOP "
            f"here: do not guess and do not continue work that depends on it. Return this to "
            f"your caller now, verbatim:\nDECISION NEEDED ({record.path}): {record.question}\n"
            f"Options:{listed or ' (none offered)'}\n"
            f"Resume once the caller answers (the answer goes under 'Answer' in that file)."
        ),
    )


def _folder(root: Path, feature: str | None) -> str:
    if feature is None or not feature.strip():
        return _GENERAL
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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _front(front: dict[str, Any]) -> list[str]:
    """Front matter lines: every text double-quoted on one line, so each YAML parser reads back
    what was written and no text (a person's answer included) spans lines; only values whose
    form this module controls stay plain (tools.history.frontmatter)."""
    lines = ["---"]
    for key, value in front.items():
        if isinstance(value, list):
            lines.append(f"{key}:" + ("".join(f"\n  - {quoted(v)}" for v in value) or " []"))
        else:
            lines.append(f"{key}: {value if key in _PLAIN else nullable(value)}")
    return [*lines, "---"]


def _render(number: int, asked: Question, feature: str | None) -> str:
    front = {
        "id": f"{number:04d}",
        "status": "open",
        "question": asked.question,
        "options": asked.options,
        "feature": feature,
        "created": _now(),
    }
    # The heading and each option stay on one line, and the context cannot open a section of its
    # own: an `## Answer` written by the asker must not pass for the person's answer.
    body = [
        *_front(front),
        "",
        f"# Open decision {number:04d}: {' '.join(asked.question.split())}",
        "",
        "## Options",
        "",
        *(
            [f"{i}. {' '.join(option.split())}" for i, option in enumerate(asked.options, 1)]
            or ["(none offered)"]
        ),
        "",
        "## Context",
        "",
        inert(asked.context, _STRUCTURE).strip() or "(none given)",
        "",
        "## Answer",
        "",
        _PLACEHOLDER,
        "",
    ]
    return "\n".join(body)


def _with_answer(document: str, front: dict[str, Any], answer: str) -> str:
    """`document` with new front matter and `answer` as its `## Answer` section (the last one:
    the context cannot write another, see _STRUCTURE)."""
    parts = split_front_matter(document)
    lines = parts.body.split("\n")
    heading = max(
        (s.line for s in sections(parts.body) if s.level == 2 and s.title == "Answer"),
        default=None,
    )
    kept = lines[:heading] if heading is not None else [*lines, "## Answer"]
    return "\n".join([*_front(front), *kept, "", answer, ""])
