"""Checks of one ADR file: name, heading, single status, required sections, links both ways."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from tools.history import codes
from tools.history.adr import STATUSES, AdrRecord
from tools.history.findings import Findings
from tools.history.layout import ADR_NAME, LOOSE_ADR_NAME, slug_matches, slugify
from tools.history.links import adr_link_problem
from tools.history.markdown import placeholders, sections

REQUIRED_SECTIONS = ("Decision", "Consequences", "Alternatives Considered", "References")
CONSEQUENCE_SUBSECTIONS = ("Positive", "Negative")
_HEADING = re.compile(r"^# ADR-(?P<id>\d+):[ \t]*(?P<title>\S.*?)\s*$")
_STATUS = re.compile(r"^- \*\*Status:\*\*[ \t]*(?P<value>.*?)\s*$")
_DATE = re.compile(r"^- \*\*Date:\*\*[ \t]*(?P<value>.*?)\s*$")
_CONTEXT = re.compile(r"^- \*\*Context:\*\*[ \t]*(?P<value>.*?)\s*$")
_REFERENCE_LINE = re.compile(r"^- (?:Related ADRs|Supersedes|Superseded by):")
_LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
_MENTION = re.compile(r"\bADR-(\d{3,4})\b")


def _line_of(lines: list[str], pattern: re.Pattern[str]) -> tuple[int, re.Match[str]] | None:
    for index, line in enumerate(lines):
        if match := pattern.match(line.rstrip("\r")):
            return index + 1, match
    return None


def _check_name(found: Findings) -> re.Match[str] | None:
    name = found.path.name
    if strict := ADR_NAME.match(name):
        return strict
    loose = LOOSE_ADR_NAME.match(name)
    if loose and len(loose.group("id")) == 3:
        found.add(
            codes.HISTORY_LEGACY_ID,
            f"{name!r} has a three-digit id, as older Spec-Kit Plus releases wrote",
            fix=f"rename it with a four-digit id: 0{name} (heading ADR-0{loose.group('id')})",
            severity="warning",
        )
    else:
        found.add(
            codes.ADR_FILE_NAME,
            f"{name!r} does not follow the ADR file name pattern",
            fix="rename it to NNNN-<slug>.md (four-digit id, slug of the title)",
        )
    return loose


def _check_heading(found: Findings, lines: list[str], name: re.Match[str] | None) -> None:
    heading = _line_of(lines, _HEADING)
    if heading is None:
        found.add(
            codes.ADR_TITLE,
            "the ADR has no `# ADR-NNNN: Title` heading",
            fix="make the first line `# ADR-<id from the file name>: <title>`",
        )
        return
    line, match = heading
    if name and match.group("id") != name.group("id"):
        found.add(
            codes.ADR_TITLE,
            f"the heading says ADR-{match.group('id')}, the file name {name.group('id')}",
            fix=f"write `# ADR-{name.group('id')}: {match.group('title')}`",
            line=line,
        )
    title = match.group("title")
    if name and len(name.group("id")) == 4 and not slug_matches(name.group("slug"), title):
        found.add(
            codes.ADR_FILE_NAME,
            f"the file name's slug {name.group('slug')!r} does not match the title",
            fix=f"rename the file to {name.group('id')}-{slugify(title)}.md or restore the title",
            severity="warning",
            line=line,
        )


def _check_status_block(found: Findings, lines: list[str]) -> None:
    statuses = [(i + 1, m) for i, line in enumerate(lines) if (m := _STATUS.match(line.rstrip()))]
    choices = " | ".join(STATUSES)
    if not statuses:
        found.add(
            codes.ADR_STATUS,
            "the ADR has no `- **Status:**` line",
            fix=f"add `- **Status:** <one of {choices}>` under the heading",
        )
    elif len(statuses) > 1:
        found.add(
            codes.ADR_STATUS,
            "the ADR has more than one status line",
            fix="keep exactly one `- **Status:**` line",
            line=statuses[1][0],
        )
    else:
        line, match = statuses[0]
        if match.group("value") not in STATUSES:
            found.add(
                codes.ADR_STATUS,
                f"status {match.group('value')!r} is not a single valid value",
                fix=f"pick exactly one of {choices}",
                line=line,
                excerpt=match.group("value"),
            )
    date_line = _line_of(lines, _DATE)
    if date_line is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date_line[1].group("value")):
        found.add(
            codes.ADR_DATE,
            "the ADR needs a `- **Date:** YYYY-MM-DD` line",
            fix="write the decision date as `- **Date:** 2025-01-31`",
            line=date_line[0] if date_line else 1,
        )
    context = _line_of(lines, _CONTEXT)
    if context is None or not context[1].group("value"):
        found.add(
            codes.ADR_CONTEXT,
            "the ADR needs a non-empty `- **Context:**` line",
            line=context[0] if context else 1,
        )


def _check_sections(found: Findings, document: str) -> None:
    found_sections = sections(document)
    level2 = {s.title for s in found_sections if s.level == 2}
    missing = [title for title in REQUIRED_SECTIONS if title not in level2]
    if missing:
        found.add(
            codes.ADR_SECTION,
            f"missing section(s): {', '.join('## ' + title for title in missing)}",
            fix="add each heading with its content; write `None recorded.` where nothing applies",
        )
    level3 = {s.title for s in found_sections if s.level == 3}
    absent = [title for title in CONSEQUENCE_SUBSECTIONS if title not in level3]
    if "Consequences" in level2 and absent:
        found.add(
            codes.ADR_SECTION,
            f"## Consequences lacks {', '.join('### ' + title for title in absent)}",
            fix="list positive and negative consequences under their own headings",
            severity="warning",
        )
    for section in found_sections:
        if section.level == 2 and section.title == "Decision" and not section.content.strip():
            found.add(
                codes.ADR_SECTION,
                f"## {section.title} is empty",
                fix="state the decision that was taken",
                line=section.line,
            )


def _check_reference_links(found: Findings, root: Path, lines: list[str]) -> None:
    for index, line in enumerate(lines):
        if not _REFERENCE_LINE.match(line):
            continue
        targets = _LINK_TARGET.findall(line) or [f"ADR-{m}" for m in _MENTION.findall(line)]
        for target in targets:
            if problem := adr_link_problem(root, found.path, target):
                found.add(
                    codes.HISTORY_ADR_LINK,
                    f"reference {problem}",
                    fix="link an existing ADR, e.g. [ADR-0002](0002-<slug>.md), or remove the link",
                    line=index + 1,
                    excerpt=target,
                )


def check_adr_file(root: Path, path: Path, document: str, *, legacy: bool) -> Findings:
    found = Findings(root, path, legacy=legacy)
    name = _check_name(found)
    lines = document.split("\n")
    _check_heading(found, lines, name)
    _check_status_block(found, lines)
    _check_sections(found, document)
    for line, column, text in placeholders(document):
        found.add(
            codes.HISTORY_PLACEHOLDER,
            f"unresolved placeholder {text}",
            line=line,
            column=column,
            excerpt=text,
        )
    _check_reference_links(found, root, lines)
    return found


def check_supersede_pairs(
    record: AdrRecord, by_id: Mapping[str, list[AdrRecord]], found: Findings
) -> None:
    """Both records of a supersession must name each other, and the old one must say Superseded."""
    for newer_id in record.superseded_by:
        newer = by_id.get(newer_id, [])
        if newer and not any(record.id in n.supersedes for n in newer):
            found.add(
                codes.ADR_SUPERSEDE,
                f"ADR-{record.id} says it is superseded by ADR-{newer_id}, "
                f"but ADR-{newer_id} does not say it supersedes ADR-{record.id}",
                fix=f"add `- Supersedes: [ADR-{record.id}]({Path(record.path).name})` "
                f"to ADR-{newer_id}'s References",
            )
    if record.superseded_by and record.status != "Superseded":
        found.add(
            codes.ADR_SUPERSEDE,
            f"ADR-{record.id} names a successor but its status is {record.status!r}",
            fix="set `- **Status:** Superseded`",
        )
    if record.status == "Superseded" and not record.superseded_by:
        found.add(
            codes.ADR_SUPERSEDE,
            f"ADR-{record.id} is Superseded but does not say by which record",
            fix="add `- Superseded by: [ADR-NNNN](NNNN-<slug>.md)` to its References",
        )
    for older_id in record.supersedes:
        older = by_id.get(older_id, [])
        if older and not any(record.id in o.superseded_by for o in older):
            found.add(
                codes.ADR_SUPERSEDE,
                f"ADR-{record.id} supersedes ADR-{older_id}, which does not say so",
                fix=f"mark ADR-{older_id} `- **Status:** Superseded` and add "
                f"`- Superseded by: [ADR-{record.id}]({Path(record.path).name})`",
            )
