"""Architecture Decision Records: create, read, list and supersede `history/adr/NNNN-<slug>.md`.

The file follows the Spec-Kit Plus template (no front matter; `# ADR-NNNN: Title`, a status block of
bullets, the same sections) with the status reduced to one value. Supersession is written as two
extra References bullets, `- Supersedes: [ADR-NNNN](file)` on the new record and
`- Superseded by: [ADR-NNNN](file)` on the old one, so both records link to each other and the files
still match the template.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, Field

from tools.errors import HistoryError
from tools.history.adr_index import write_index
from tools.history.ids import create_numbered
from tools.history.inputs import clean
from tools.history.layout import (
    ADR_DIR,
    ADR_INDEX_NAME,
    FEATURE_NAME,
    LEGACY_ADR_DIR,
    LOOSE_ADR_NAME,
    SPECS_DIR,
    adr_file_name,
    check_title,
    format_id,
    inside,
    relative,
    slugify,
)
from tools.history.markdown import inert
from tools.history.redaction import describe
from tools.history.templates import ADR_TEMPLATE, bullet_text, fill

AdrStatus = Literal["Proposed", "Accepted", "Superseded", "Rejected"]
STATUSES: Final[tuple[str, ...]] = ("Proposed", "Accepted", "Superseded", "Rejected")
#: Names that count for the global ADR numbering, as Spec-Kit Plus counts them.
NUMBERED_ADR = re.compile(r"^(\d{4})-.*\.md$")
_TITLE = re.compile(r"^# ADR-(?P<id>\d+):[ \t]*(?P<title>.*?)\s*$", re.MULTILINE)
_STATUS = re.compile(r"^- \*\*Status:\*\*[ \t]*(?P<value>.*?)\s*$", re.MULTILINE)
_FIELD = r"^- \*\*{name}:\*\*[ \t]*(?P<value>.*?)\s*$"
_REFERENCE = r"^- {name}:[ \t]*(?P<value>.*?)\s*$"
_ADR_MENTION = re.compile(r"\bADR-(\d{3,4})\b")
_REDACTIONS_LABEL = "Secrets redacted"
# What the readers of an ADR (parse_adr, the index, the checker, supersede) take for the record's
# own lines: its heading, the status-block fields, the References entries and the template's
# section headings. Caller text is kept from producing one (markdown.inert).
_STRUCTURE = re.compile(
    r"[ \t]*(?:#{1,6}[ \t]*(?:ADR-\d|(?:Decision|Consequences|Positive|Negative|"
    r"Alternatives Considered|References)[ \t#]*$)"
    r"|[-*+][ \t]+(?:\*\*[^*\n]*:\*\*|(?:Supersedes|Superseded by|Related ADRs|Feature Spec|"
    rf"Implementation Plan|Evaluator Evidence|{_REDACTIONS_LABEL})[ \t]*:))",
    re.IGNORECASE,
)
_ID_ARGUMENT = re.compile(r"^(?:ADR-)?0*(\d{1,4})$", re.IGNORECASE)


class AdrRecord(BaseModel):
    """One ADR as created or listed. `path` is relative to the project root, '/'-separated."""

    id: str
    title: str
    status: str
    date: str
    feature: str | None = None
    path: str
    supersedes: list[str] = Field(default_factory=list)
    superseded_by: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    redactions: int = 0
    legacy: bool = False


def _field(document: str, pattern: str, name: str) -> str | None:
    match = re.search(pattern.format(name=re.escape(name)), document, re.MULTILINE)
    return match.group("value") if match else None


def _mentions(value: str | None) -> list[str]:
    return [format_id(int(number)) for number in _ADR_MENTION.findall(value or "")]


def parse_adr(root: Path, path: Path, document: str, *, legacy: bool = False) -> AdrRecord | None:
    """Read an ADR's fields leniently (the checker says what is wrong); None without an id."""
    name = LOOSE_ADR_NAME.match(path.name)
    if not name:
        return None
    heading = _TITLE.search(document)
    status = _STATUS.search(document)
    feature = _field(document, _FIELD, "Feature")
    redacted = re.match(r"(\d+)", _field(document, _REFERENCE, _REDACTIONS_LABEL) or "")
    return AdrRecord(
        id=name.group("id"),
        title=heading.group("title") if heading else name.group("slug").replace("-", " "),
        status=status.group("value") if status else "",
        date=_field(document, _FIELD, "Date") or "",
        feature=None if feature in (None, "", "none", "null") else feature,
        path=relative(root, path),
        supersedes=_mentions(_field(document, _REFERENCE, "Supersedes")),
        superseded_by=_mentions(_field(document, _REFERENCE, "Superseded by")),
        related=_mentions(_field(document, _REFERENCE, "Related ADRs")),
        redactions=int(redacted.group(1)) if redacted else 0,
        legacy=legacy or len(name.group("id")) != 4,
    )


def adr_files(root: Path) -> list[tuple[Path, bool]]:
    """Every ADR file as `(path, legacy)`: `history/adr/` first, then the old `docs/adr/`."""
    found = []
    for folder, legacy in ((root / ADR_DIR, False), (root / LEGACY_ADR_DIR, True)):
        if folder.is_dir():
            found += [
                (path, legacy)
                for path in sorted(folder.glob("*.md"))
                if inside(root, path) and LOOSE_ADR_NAME.match(path.name)
            ]
    return found


def _read(root: Path, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise HistoryError(f"cannot read {_shown(root, path)}: {error.strerror}") from error


def _shown(root: Path, path: Path) -> str:
    """`path` as every answer names a file: from the root, never where the project sits."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def list_adrs(root: Path) -> list[AdrRecord]:
    """Every ADR under `history/adr/` (and legacy `docs/adr/`), in id order."""
    root = Path(root)
    records = []
    for path, legacy in adr_files(root):
        try:
            record = parse_adr(root, path, _read(root, path), legacy=legacy)
        except HistoryError:
            continue
        if record is not None:
            records.append(record)
    return records


def _normalise_id(value: str | int) -> str:
    match = _ID_ARGUMENT.match(str(value).strip())
    if not match:
        raise HistoryError(f"{value!r} is not an ADR id; write it as 3, 0003 or ADR-0003")
    return format_id(int(match.group(1)))


def _find(root: Path, adr_id: str) -> tuple[Path, AdrRecord]:
    matches = [
        (path, record)
        for path, _ in adr_files(root)
        if path.parent == root / ADR_DIR
        and (record := parse_adr(root, path, _read(root, path))) is not None
        and record.id == adr_id
    ]
    if not matches:
        known = ", ".join(f"ADR-{record.id}" for record in list_adrs(root)) or "none yet"
        raise HistoryError(f"there is no ADR-{adr_id} in {ADR_DIR.as_posix()}/ (known: {known})")
    if len(matches) > 1:
        names = ", ".join(path.name for path, _ in matches)
        raise HistoryError(f"ADR-{adr_id} is ambiguous ({names}); renumber one of them first")
    return matches[0]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _text(text: str) -> str:
    return inert(text, _STRUCTURE).strip()


def _items(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return _text(value) or "None recorded."
    lines = [f"- {bullet_text(_text(item))}" for item in value if item.strip()]
    return "\n".join(lines) or "None recorded."


def _link(root: Path, adr_id: str) -> str:
    path, _ = _find(root, adr_id)
    return f"[ADR-{adr_id}]({path.name})"


def _feature_link(root: Path, feature: str | None, names: Sequence[str]) -> str:
    if feature:
        for name in names:
            if (root / SPECS_DIR / feature / name).is_file():
                return f"{SPECS_DIR.as_posix()}/{feature}/{name}"
    return "none"


@dataclass(frozen=True)
class _Draft:
    """The content of a new ADR, as the caller gave it."""

    title: str
    context: str
    decision: str
    status: str
    feature: str | None
    positive: str | Sequence[str]
    negative: str | Sequence[str]
    alternatives: str | Sequence[str]
    related: Sequence[str]
    spec: str | None
    plan: str | None
    evidence: str | None
    on: date | None


def create_adr(
    root: Path,
    *,
    title: str,
    context: str,
    decision: str,
    status: AdrStatus = "Proposed",
    feature: str | None = None,
    positive: str | Sequence[str] = (),
    negative: str | Sequence[str] = (),
    alternatives: str | Sequence[str] = (),
    related: Sequence[str] = (),
    spec: str | None = None,
    plan: str | None = None,
    evidence: str | None = None,
    on: date | None = None,
) -> AdrRecord:
    """Write `history/adr/NNNN-<slug>.md` under the next global id and regenerate the index.

    Consequences and alternatives are a list (one bullet each) or ready-made Markdown. `related`
    names existing ADRs (`3`, `0003` or `ADR-0003`); an unknown one is a HistoryError. To replace
    a decision use `supersede_adr`, which also marks and links the old record.
    """
    draft = _Draft(
        title=title,
        context=context,
        decision=decision,
        status=status,
        feature=feature,
        positive=positive,
        negative=negative,
        alternatives=alternatives,
        related=related,
        spec=spec,
        plan=plan,
        evidence=evidence,
        on=on,
    )
    return _write(Path(root), draft, supersedes=None)


def _write(root: Path, draft: _Draft, *, supersedes: str | None) -> AdrRecord:
    draft, counts = clean(draft)
    check_title(draft.title, record="ADR", hint="name the decision cluster, e.g. 'Event delivery'")
    if not draft.context.strip() or not draft.decision.strip():
        raise HistoryError("an ADR needs both context (why a decision was needed) and the decision")
    if draft.status not in STATUSES:
        raise HistoryError(f"unknown status {draft.status!r}; use one of: {', '.join(STATUSES)}")
    feature = draft.feature
    if feature is not None and not FEATURE_NAME.match(feature):
        raise HistoryError(
            f"feature {feature!r} is not a folder name; use the name of a folder in specs/, "
            "e.g. 001-task-reminders"
        )
    related_ids = [_normalise_id(value) for value in draft.related]
    related_links = ", ".join(_link(root, adr_id) for adr_id in related_ids) or "none"
    # Lines the template has no place for go after its References: the supersession link and,
    # as in a PHR, how many secrets the text lost.
    extra_lines = [f"- Supersedes: {_link(root, supersedes)}"] if supersedes else []
    if counts:
        extra_lines.append(f"- {_REDACTIONS_LABEL}: {describe(counts)}")
    today = (draft.on or datetime.now().astimezone().date()).isoformat()
    values = {
        "TITLE": _one_line(draft.title),
        "STATUS": draft.status,
        "DATE_ISO": today,
        "FEATURE_NAME": feature or "none",
        "CONTEXT": bullet_text(_text(draft.context)),
        "DECISION": _text(draft.decision),
        "POSITIVE_CONSEQUENCES": _items(draft.positive),
        "NEGATIVE_CONSEQUENCES": _items(draft.negative),
        "ALTERNATIVES": _items(draft.alternatives),
        "SPEC_LINK": _one_line(
            draft.spec or _feature_link(root, feature, ("spec.md", "spec.yaml"))
        ),
        "PLAN_LINK": _one_line(draft.plan or _feature_link(root, feature, ("plan.md",))),
        "RELATED_ADRS": related_links,
        "EVAL_NOTES_LINK": _one_line(draft.evidence or "none"),
        "SUPERSEDE_LINKS": "\n".join(extra_lines),
    }
    slug = slugify(draft.title)

    def superseded(record_id: str) -> list[tuple[str, str]]:
        """The replaced record marked Superseded, read under the lock the new one is made in."""
        if supersedes is None:
            return []
        old_path, old_record = _find(root, supersedes)
        _refuse_superseded(old_record)
        new_link = f"[ADR-{record_id}]({adr_file_name(record_id, slug)})"
        marked = _mark_superseded(_read(root, old_path), new_link)
        return [(old_path.relative_to(root).as_posix(), marked)]

    _, path = create_numbered(
        root,
        root / ADR_DIR,
        record_pattern=NUMBERED_ADR,
        file_name=lambda record_id: adr_file_name(record_id, slug),
        render=lambda record_id: fill(ADR_TEMPLATE, {"ID": record_id, **values}).rstrip() + "\n",
        companions=superseded,
    )
    write_index(root, root / ADR_DIR / ADR_INDEX_NAME, lambda: list_adrs(root))
    record = parse_adr(root, path, _read(root, path))
    if record is None:  # our own file name always carries an id
        raise HistoryError(f"{_shown(root, path)} was written but cannot be read back")
    return record


def _mark_superseded(document: str, new_link: str) -> str:
    lines = document.split("\n")
    status_lines = [i for i, line in enumerate(lines) if _STATUS.match(line)]
    if status_lines:
        lines[status_lines[0]] = "- **Status:** Superseded"
    else:
        heading = next((i for i, line in enumerate(lines) if _TITLE.match(line)), -1)
        lines[heading + 1 : heading + 1] = ["", "- **Status:** Superseded"]
    references = next((i for i, line in enumerate(lines) if line.strip() == "## References"), None)
    if references is None:
        return "\n".join(lines).rstrip() + f"\n\n## References\n\n- Superseded by: {new_link}\n"
    end = next(
        (i for i in range(references + 1, len(lines)) if lines[i].startswith("#")), len(lines)
    )
    last_bullet = max(
        (i for i in range(references + 1, end) if lines[i].startswith("- ")), default=references + 1
    )
    lines.insert(last_bullet + 1, f"- Superseded by: {new_link}")
    return "\n".join(lines)


def supersede_adr(
    root: Path,
    old_id: str | int,
    new_title: str,
    *,
    context: str | None = None,
    decision: str | None = None,
    status: AdrStatus = "Accepted",
    feature: str | None = None,
    positive: str | Sequence[str] = (),
    negative: str | Sequence[str] = (),
    alternatives: str | Sequence[str] = (),
    related: Sequence[str] = (),
    spec: str | None = None,
    plan: str | None = None,
    evidence: str | None = None,
    on: date | None = None,
) -> AdrRecord:
    """Record `new_title` as the decision replacing ADR `old_id` and return the new record.

    The new ADR lists `- Supersedes: [ADR-old](...)`; the old one gets status Superseded and
    `- Superseded by: [ADR-new](...)`; the index is regenerated. The other arguments are those of
    `create_adr`; `context` defaults to a sentence naming the replaced record.
    """
    root = Path(root)
    old = _normalise_id(old_id)
    _, old_record = _find(root, old)
    _refuse_superseded(old_record)
    if not decision or not decision.strip():
        raise HistoryError(f"say what replaces ADR-{old}: pass the new decision text")
    draft = _Draft(
        title=new_title,
        context=context
        or f"ADR-{old} ({old_record.title}) no longer holds; this record replaces it.",
        decision=decision,
        status=status,
        feature=feature,
        positive=positive,
        negative=negative,
        alternatives=alternatives,
        related=related,
        spec=spec,
        plan=plan,
        evidence=evidence,
        on=on,
    )
    # The new record and the old one marked are one change set: never one without the other.
    return _write(root, draft, supersedes=old)


def _refuse_superseded(record: AdrRecord) -> None:
    if record.status == "Superseded":
        newer = ", ".join(f"ADR-{i}" for i in record.superseded_by) or "another record"
        raise HistoryError(
            f"ADR-{record.id} is already superseded by {newer}; supersede that one instead"
        )
