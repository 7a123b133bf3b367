"""Checks of one PHR file against the Spec-Kit Plus format and the routing rules."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from tools.history import codes
from tools.history.findings import Findings
from tools.history.frontmatter import FrontMatter, split_front_matter
from tools.history.layout import (
    LEGACY_STAGES,
    LOOSE_PHR_NAME,
    PHR_NAME,
    PROMPTS_DIR,
    SPECS_DIR,
    STAGES,
    slug_matches,
    slugify,
)
from tools.history.links import adr_link_problem
from tools.history.markdown import placeholders, sections, unfenced

#: The template's keys, in the order Spec-Kit Plus writes them.
PHR_KEYS = (
    "id",
    "title",
    "stage",
    "date",
    "surface",
    "model",
    "feature",
    "branch",
    "user",
    "command",
    "labels",
    "links",
    "files",
    "tests",
)
LINK_KEYS = ("spec", "ticket", "adr", "pr")
REQUIRED_SECTIONS = ("Prompt", "Response snapshot", "Outcome")
FLYWHEEL_SECTION = "Evaluation notes (flywheel)"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME_FIX = "rename it to NNNN-<slug>.<stage>.prompt.md (four-digit id, slug of the title, a stage)"


def _key_line(front: FrontMatter, key: str) -> int:
    for index, line in enumerate(front.text.split("\n")):
        if line.startswith(f"{key}:"):
            return index + 2  # the opening '---' is line 1
    return 1


def _is_iso_date(value: str) -> bool:
    if not _ISO_DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_name(found: Findings) -> re.Match[str] | None:
    name = found.path.name
    strict = PHR_NAME.match(name)
    if strict:
        if strict.group("stage") in LEGACY_STAGES:
            found.add(
                codes.HISTORY_LEGACY_STAGE,
                f"stage {strict.group('stage')!r} is from an older Spec-Kit Plus release",
                fix="record design work as stage 'plan': rename the file and set `stage: plan`",
                severity="warning",
            )
        elif strict.group("stage") not in STAGES:
            found.add(
                codes.PHR_FILE_NAME,
                f"{name!r} names the unknown stage {strict.group('stage')!r}",
                fix=f"use one of {', '.join(STAGES)} in the file name and `stage:`",
            )
        return strict
    loose = LOOSE_PHR_NAME.match(name)
    if loose and len(loose.group("id")) == 3:
        found.add(
            codes.HISTORY_LEGACY_ID,
            f"{name!r} has a three-digit id, as older Spec-Kit Plus releases wrote",
            fix=f"rename it with a four-digit id: 0{name}",
            severity="warning",
        )
        return loose
    found.add(
        codes.PHR_FILE_NAME, f"{name!r} does not follow the PHR file name pattern", fix=_NAME_FIX
    )
    return loose


def _text_value(found: Findings, front: FrontMatter, key: str, value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    found.add(
        codes.PHR_INVALID_VALUE,
        f"`{key}` must be a non-empty text value",
        fix=f'write `{key}: "..."` (quote text containing ": " or "#")',
        line=_key_line(front, key),
    )
    return None


def _check_list(found: Findings, front: FrontMatter, key: str, value: Any) -> None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return
    found.add(
        codes.PHR_INVALID_VALUE,
        f"`{key}` must be a list of strings",
        fix=f'write `{key}:` followed by `  - "item"` lines (or `  - none`)'
        if key != "labels"
        else 'write `labels: ["topic", "other topic"]`',
        line=_key_line(front, key),
    )


def check_front_matter(
    found: Findings, front: FrontMatter, name: re.Match[str] | None
) -> dict[str, Any]:
    """Checks keys and values; returns the raw values (strings as written) that were readable."""
    if front.error:
        found.add(
            codes.PHR_FRONT_MATTER,
            f"front matter: {front.error}",
            fix="quote values that contain ': ' or '#', e.g. title: \"Fix: retries\"",
            line=front.error_line,
            column=front.error_column,
        )
        return {}
    if not front.present or front.raw is None:
        found.add(
            codes.PHR_FRONT_MATTER,
            "the record has no YAML front matter",
            fix="start the file with '---', the PHR keys (id, title, stage, date, ...), and '---'",
        )
        return {}
    raw = front.raw
    missing = [key for key in PHR_KEYS if key not in raw]
    if missing:
        found.add(
            codes.PHR_MISSING_KEY,
            f"front matter lacks {', '.join(missing)}",
            fix="add each missing key; write `none`/`null` where there is nothing to say",
        )
    present = [key for key in raw if key in PHR_KEYS]
    if present != [key for key in PHR_KEYS if key in raw]:
        found.add(
            codes.PHR_KEY_ORDER,
            "front-matter keys are not in the Spec-Kit Plus order",
            fix=f"order them as {', '.join(PHR_KEYS)}",
            severity="warning",
        )
    _check_id(found, front, name)
    _check_texts(found, front, name)
    _check_stage(found, front, name)
    _check_shapes(found, front)
    return raw


def _check_id(found: Findings, front: FrontMatter, name: re.Match[str] | None) -> None:
    raw = front.raw or {}
    record_id = raw.get("id")
    if "id" in raw:
        if not isinstance(record_id, str) or not re.fullmatch(r"\d{3,4}", record_id):
            found.add(
                codes.PHR_INVALID_VALUE,
                f"`id` is {record_id!r}; it must be the four-digit id of the file name",
                fix='write `id: "0001"` with the number from the file name',
                line=_key_line(front, "id"),
            )
        else:
            if name and record_id != name.group("id"):
                found.add(
                    codes.PHR_FILE_NAME,
                    f"`id: {record_id}` differs from the file name's id {name.group('id')}",
                    fix="make the front-matter id and the file name's prefix the same",
                    line=_key_line(front, "id"),
                )
            typed = (front.data or {}).get("id", record_id)
            if not isinstance(typed, str) and str(typed).zfill(len(record_id)) != record_id:
                found.add(
                    codes.PHR_ID_QUOTING,
                    f"`id: {record_id}` reads as the number {typed!r} in YAML 1.1 parsers",
                    fix=f'quote it: id: "{record_id}"',
                    severity="warning",
                    line=_key_line(front, "id"),
                )


def _check_texts(found: Findings, front: FrontMatter, name: re.Match[str] | None) -> None:
    raw = front.raw or {}
    for key in ("title", "surface", "model", "branch", "user", "command", "feature"):
        if key in raw:
            _text_value(found, front, key, raw[key])
    if "title" in raw and name and isinstance(raw["title"], str) and raw["title"].strip():
        expected = slugify(raw["title"])
        if not slug_matches(name.group("slug"), raw["title"]) and len(name.group("id")) == 4:
            found.add(
                codes.PHR_FILE_NAME,
                f"the file name's slug {name.group('slug')!r} does not match the title",
                fix=f"rename the file to {name.group('id')}-{expected}.<stage>.prompt.md "
                "or restore the title",
                severity="warning",
            )
    if raw.get("surface") not in (None, "agent") and isinstance(raw.get("surface"), str):
        found.add(
            codes.PHR_INVALID_VALUE,
            f"`surface: {raw['surface']}`; Spec-Kit Plus records use `agent`",
            fix="write `surface: agent`",
            severity="warning",
            line=_key_line(front, "surface"),
        )


def _check_stage(found: Findings, front: FrontMatter, name: re.Match[str] | None) -> None:
    raw = front.raw or {}
    stage = raw.get("stage")
    if "stage" in raw:
        if not isinstance(stage, str):
            found.add(
                codes.PHR_INVALID_VALUE,
                "`stage` must be one word",
                fix=f"use one of {', '.join(STAGES)}",
                line=_key_line(front, "stage"),
            )
        elif stage in LEGACY_STAGES:
            found.add(
                codes.HISTORY_LEGACY_STAGE,
                f"`stage: {stage}` is from an older Spec-Kit Plus release",
                fix="use `stage: plan` for design work",
                severity="warning",
                line=_key_line(front, "stage"),
            )
        elif stage not in STAGES:
            found.add(
                codes.PHR_INVALID_VALUE,
                f"`stage` is {stage!r}",
                fix=f"use one of {', '.join(STAGES)}",
                line=_key_line(front, "stage"),
            )
        elif name and name.group("stage") and name.group("stage") != stage:
            found.add(
                codes.PHR_FILE_NAME,
                f"`stage: {stage}` differs from the file name's stage {name.group('stage')!r}",
                fix="make the file name's stage and the front-matter stage the same",
                line=_key_line(front, "stage"),
            )


def _check_shapes(found: Findings, front: FrontMatter) -> None:
    raw = front.raw or {}
    if "date" in raw and not (isinstance(raw["date"], str) and _is_iso_date(raw["date"])):
        found.add(
            codes.PHR_INVALID_VALUE,
            f"`date` is {raw['date']!r}; it must be an ISO date",
            fix="write `date: YYYY-MM-DD`",
            line=_key_line(front, "date"),
        )
    for key in ("labels", "files", "tests"):
        if key in raw:
            _check_list(found, front, key, raw[key])
    links = raw.get("links")
    if "links" in raw:
        if not isinstance(links, dict):
            found.add(
                codes.PHR_INVALID_VALUE,
                "`links` must be a mapping with spec, ticket, adr and pr",
                fix="write `links:` then one line each: `  spec: null`, `  ticket: null`, ...",
                line=_key_line(front, "links"),
            )
        else:
            absent = [key for key in LINK_KEYS if key not in links]
            wrong = [key for key in LINK_KEYS if key in links and not isinstance(links[key], str)]
            if absent or wrong:
                found.add(
                    codes.PHR_INVALID_VALUE,
                    f"`links` lacks {', '.join(absent) or 'nothing'}"
                    + (f"; {', '.join(wrong)} must be a link or null" if wrong else ""),
                    fix="give each of spec, ticket, adr, pr a link or `null`",
                    line=_key_line(front, "links"),
                )


def check_route(found: Findings, root: Path, stage: str, feature: Any) -> None:
    """The folder must be the one Spec-Kit Plus routes `stage` to."""
    if found.legacy or found.path.parent.parent != root / PROMPTS_DIR or stage not in STAGES:
        return
    folder = found.path.parent.name
    if stage in ("constitution", "general"):
        if folder != stage:
            found.add(
                codes.PHR_ROUTE,
                f"a {stage} record is in history/prompts/{folder}/",
                fix=f"move it to history/prompts/{stage}/ (and renumber it there)",
            )
        return
    if folder in ("constitution", "general"):
        found.add(
            codes.PHR_ROUTE,
            f"stage {stage!r} is feature work but the record is in history/prompts/{folder}/",
            fix="move it to history/prompts/<feature>/, or use stage "
            f"{'constitution' if folder == 'constitution' else 'general'}",
        )
        return
    if isinstance(feature, str) and feature not in ("none", folder):
        found.add(
            codes.PHR_ROUTE,
            f"`feature: {feature}` but the record is in history/prompts/{folder}/",
            fix=f"move it to history/prompts/{feature}/ or set `feature: {folder}`",
        )
    if not (root / SPECS_DIR / folder).is_dir():
        found.add(
            codes.PHR_ROUTE,
            f"history/prompts/{folder}/ names no feature: specs/{folder}/ does not exist",
            fix="use the full feature folder name from specs/ (e.g. 001-task-reminders)",
            severity="warning",
        )


def check_body(found: Findings, front: FrontMatter, document: str) -> None:
    for line, column, text in placeholders(document):
        found.add(
            codes.HISTORY_PLACEHOLDER,
            f"unresolved placeholder {text}",
            line=line,
            column=column,
            excerpt=text,
        )
    titles = {s.title: s for s in sections(front.body, first_line=front.body_line) if s.level == 2}
    missing = [title for title in REQUIRED_SECTIONS if title not in titles]
    if missing:
        found.add(
            codes.PHR_SECTION,
            f"missing section(s): {', '.join('## ' + title for title in missing)}",
            fix="add each heading with its content (the prompt, a response summary, the outcome)",
        )
    if FLYWHEEL_SECTION not in titles and not found.legacy:
        found.add(
            codes.PHR_SECTION,
            f"missing section ## {FLYWHEEL_SECTION}",
            fix="add it with the four evaluation notes (write `none` where nothing applies)",
            severity="warning",
        )
    prompt = titles.get("Prompt")
    if prompt is not None and not unfenced(prompt.content).strip():
        found.add(
            codes.PHR_EMPTY_PROMPT,
            "the ## Prompt section is empty",
            line=prompt.line,
        )


def check_phr_file(root: Path, path: Path, document: str, *, legacy: bool) -> Findings:
    found = Findings(root, path, legacy=legacy)
    name = check_name(found)
    front = split_front_matter(document)
    raw = check_front_matter(found, front, name)
    stage = raw.get("stage") if isinstance(raw.get("stage"), str) else None
    stage = stage or (name.group("stage") if name else None)
    if stage:
        check_route(found, root, stage, raw.get("feature"))
    check_body(found, front, document)
    links = raw.get("links")
    target = links.get("adr") if isinstance(links, dict) else None
    if isinstance(target, str) and (problem := adr_link_problem(root, path, target)):
        found.add(
            codes.HISTORY_ADR_LINK,
            f"`links.adr` {problem}",
            fix="point it at an existing record, e.g. history/adr/0001-<slug>.md or ADR-0001, "
            "or write null",
            line=_key_line(front, "links"),
        )
    return found
