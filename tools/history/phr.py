"""Prompt History Records: create one from facts, list the ones a repository holds."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from tools.errors import HistoryError
from tools.history import frontmatter, gitinfo
from tools.history.facts import Facts, gather
from tools.history.features import resolve_feature
from tools.history.frontmatter import split_front_matter
from tools.history.ids import create_numbered
from tools.history.inputs import clean
from tools.history.layout import (
    FEATURE_STAGES,
    LEGACY_PROMPTS_DIR,
    LEGACY_STAGES,
    LOOSE_PHR_NAME,
    PHR_SUFFIX,
    PROMPTS_DIR,
    SPECS_DIR,
    STAGES,
    Context,
    check_title,
    context_of,
    inside,
    phr_file_name,
    prompts_folder,
    relative,
    slugify,
)
from tools.history.markdown import fenced, inert, sections, unfenced
from tools.history.redaction import describe
from tools.history.templates import PHR_TEMPLATE, bullet_text, fill
from tools.hook_writes import taken
from tools.worklog import WorkLog

#: Names that count for per-folder numbering: four digits, as Spec-Kit Plus counts them.
NUMBERED_PHR = re.compile(r"^(\d{4})-.*\.prompt\.md$")
_REDACTIONS_NOTE = re.compile(r"^- Secrets redacted: (\d+)", re.MULTILINE)
# The template's sections, which the readers find by heading: caller text in the body must not
# start one of its own (markdown.inert). The prompt needs no such care, it sits in a code fence.
_STRUCTURE = re.compile(
    r"[ \t]*#{1,6}[ \t]+(?:Prompt|Response snapshot|Outcome|Evaluation notes \(flywheel\))"
    r"[ \t#]*$",
    re.IGNORECASE,
)


class PhrRecord(BaseModel):
    """One PHR as created or listed. `path` is relative to the project root, '/'-separated."""

    id: str
    title: str
    stage: str
    feature: str | None = None
    context: Context
    date: str
    path: str
    labels: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    tests: list[str] = Field(default_factory=list)
    redactions: int = 0
    legacy: bool = False


def _check_stage(stage: str) -> None:
    if stage in STAGES:
        return
    hint = (
        " (older Spec-Kit Plus releases used 'architect'; that work is stage 'plan' now)"
        if stage in LEGACY_STAGES
        else ""
    )
    raise HistoryError(f"unknown stage {stage!r}{hint}; use one of: {', '.join(STAGES)}")


def _spec_link(root: Path, feature: str | None) -> str | None:
    if not feature:
        return None
    for name in ("spec.md", "spec.yaml", "spec.yml"):
        if (root / SPECS_DIR / feature / name).is_file():
            return f"{SPECS_DIR.as_posix()}/{feature}/{name}"
    return None


def _body(text: str) -> str:
    return inert(text, _STRUCTURE).strip()


def _or_none(text: str) -> str:
    return bullet_text(_body(text)) if text.strip() else "none"


@dataclass(frozen=True)
class _Draft:
    """Everything a new PHR says, as the caller gave it or as derived from the caller's work (the
    stage aside: it is one of STAGES).

    The record is rendered from this draft only, after `inputs.clean`, so every field of it is
    checked and redacted.
    """

    title: str
    prompt: str
    response: str
    feature: str | None
    model: str
    command: str
    labels: Sequence[str]
    outcome: str
    reflection: str
    next_prompts: str
    failure_modes: str
    prompt_variant: str
    next_experiment: str
    spec: str | None
    ticket: str | None
    adr: str | None
    pr: str | None
    surface: str
    branch: str
    user: str
    facts: Facts


def create_phr(
    root: Path,
    *,
    title: str,
    stage: str,
    prompt: str,
    response: str,
    feature: str | None = None,
    model: str = "unspecified",
    command: str = "/sp.phr",
    labels: Sequence[str] = (),
    outcome: str = "",
    reflection: str = "",
    worklog: WorkLog | None = None,
    files: Sequence[str] = (),
    tests: Sequence[str] = (),
    next_prompts: str = "",
    failure_modes: str = "",
    prompt_variant: str = "",
    next_experiment: str = "",
    spec: str | None = None,
    ticket: str | None = None,
    adr: str | None = None,
    pr: str | None = None,
    surface: str = "agent",
    branch: str | None = None,
    user: str | None = None,
    on: date | None = None,
    environ: Mapping[str, str] | None = None,
) -> PhrRecord:
    """Write a new PHR under `root/history/prompts/` and return it.

    The prompt is kept in full inside a code fence. Secrets in any field (prompt, title, labels,
    file lists, test commands, ...) are replaced by `[REDACTED:<kind>]` and their number is written
    to the "Secrets redacted" evaluation note; text a record cannot hold (control characters, lone
    surrogates) and titles that cannot name a file are a HistoryError. Files, tests and gate
    results come from `worklog` (plus `files`/`tests` named by the caller). Feature stages need a
    feature: `feature`, `$SPECIFY_FEATURE` or a branch named after a `specs/<feature>/` folder;
    otherwise a HistoryError says how to pass one. Ids are unique per folder even with many
    concurrent writers.
    """
    root = Path(root)
    _check_stage(stage)
    # The writes of Claude Code's own Write and Edit go to this PHR, the next one made in the
    # project (tools.hook_writes); put back when it fails.
    with taken(root) as hook_writes:
        draft, counts = clean(
            _Draft(
                title=title,
                prompt=prompt,
                response=response,
                feature=feature,
                model=model,
                command=command,
                labels=labels,
                outcome=outcome,
                reflection=reflection,
                next_prompts=next_prompts,
                failure_modes=failure_modes,
                prompt_variant=prompt_variant,
                next_experiment=next_experiment,
                spec=spec,
                ticket=ticket,
                adr=adr,
                pr=pr,
                surface=surface,
                branch=branch or gitinfo.current_branch(root) or "unknown",
                user=user or gitinfo.user_name(root) or "unknown",
                facts=gather(worklog, files, tests, hook_writes),
            )
        )
        check_title(draft.title, record="PHR", hint="give a 3-7 word title describing the work")
        if not draft.prompt.strip():
            raise HistoryError(
                "the prompt is empty; a PHR records the user's prompt verbatim, pass it in full"
            )
        record_feature = (
            resolve_feature(root, stage, draft.feature, environ)
            if stage in FEATURE_STAGES
            else draft.feature
        )
        folder = prompts_folder(root, stage, record_feature)
        facts = draft.facts
        redactions = sum(counts.values())
        impact = bullet_text(_body(draft.outcome)) if draft.outcome.strip() else facts.impact
        today = (on or datetime.now().astimezone().date()).isoformat()
        slug = slugify(draft.title)

        def render(record_id: str) -> str:
            return fill(
                PHR_TEMPLATE,
                {
                    "ID": frontmatter.quoted(record_id),
                    "TITLE": frontmatter.quoted(draft.title),
                    "STAGE": stage,
                    "DATE_ISO": today,
                    "SURFACE": frontmatter.quoted(draft.surface),
                    "MODEL": frontmatter.quoted(draft.model),
                    "FEATURE": frontmatter.quoted(record_feature or "none"),
                    "BRANCH": frontmatter.quoted(draft.branch),
                    "USER": frontmatter.quoted(draft.user),
                    "COMMAND": frontmatter.quoted(draft.command),
                    "LABELS": frontmatter.flow_list(list(draft.labels)),
                    "LINKS_SPEC": frontmatter.nullable(
                        draft.spec or _spec_link(root, record_feature)
                    ),
                    "LINKS_TICKET": frontmatter.nullable(draft.ticket),
                    "LINKS_ADR": frontmatter.nullable(draft.adr),
                    "LINKS_PR": frontmatter.nullable(draft.pr),
                    "FILES_YAML": frontmatter.block_list(facts.files),
                    "TESTS_YAML": frontmatter.block_list(facts.tests),
                    "PROMPT_TEXT": fenced(draft.prompt),
                    "RESPONSE_TEXT": _body(draft.response) or "none",
                    "OUTCOME_IMPACT": impact,
                    "TESTS_SUMMARY": _body(facts.tests_summary),
                    "FILES_SUMMARY": _body(facts.files_summary),
                    "NEXT_PROMPTS": _or_none(draft.next_prompts),
                    "REFLECTION_NOTE": _or_none(draft.reflection),
                    "FAILURE_MODES": _or_none(
                        "; ".join(filter(None, [draft.failure_modes.strip(), facts.failure_modes]))
                    ),
                    "GRADER_RESULTS": facts.grader_results,
                    "PROMPT_VARIANT_ID": _or_none(draft.prompt_variant),
                    "NEXT_EXPERIMENT": _or_none(draft.next_experiment),
                    "REDACTIONS": describe(counts),
                },
            )

        record_id, path = create_numbered(
            root,
            folder,
            record_pattern=NUMBERED_PHR,
            file_name=lambda record_id: phr_file_name(record_id, slug, stage),
            render=render,
        )
        return PhrRecord(
            id=record_id,
            title=draft.title,
            stage=stage,
            feature=record_feature,
            context=context_of(stage),
            date=today,
            path=relative(root, path),
            labels=list(draft.labels),
            files=facts.files,
            tests=facts.tests,
            redactions=redactions,
        )


def phr_files(root: Path) -> list[tuple[Path, bool]]:
    """Every PHR file the repository holds as `(path, legacy)`: the current layout first, then old
    ones."""
    found = [(path, False) for path in sorted((root / PROMPTS_DIR).glob(f"*/*{PHR_SUFFIX}"))]
    legacy_globs = [
        (root / LEGACY_PROMPTS_DIR).glob(f"*{PHR_SUFFIX}"),
        (root / LEGACY_PROMPTS_DIR).glob(f"*/*{PHR_SUFFIX}"),
        (root / SPECS_DIR).glob(f"*/prompts/*{PHR_SUFFIX}"),
    ]
    found += [(path, True) for glob in legacy_globs for path in sorted(glob)]
    return [
        (path, legacy)
        for path, legacy in found
        if inside(root, path) and not path.name.startswith(".")
    ]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _strings(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item != "none"]


def read_phr(root: Path, path: Path, *, legacy: bool = False) -> PhrRecord | None:
    """A PHR as well as it can be read (the checker says what is wrong); None when the name has no
    id."""
    name = LOOSE_PHR_NAME.match(path.name)
    if not name:
        return None
    try:
        document = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    data = split_front_matter(document).raw or {}
    stage = _text(data.get("stage")) or name.group("stage") or "misc"
    feature = _text(data.get("feature"))
    # The last one is daprdev's note; an earlier one would be text inside the prompt.
    redactions = _REDACTIONS_NOTE.findall(document)
    return PhrRecord(
        id=name.group("id"),
        title=_text(data.get("title")) or name.group("slug").replace("-", " "),
        stage=stage,
        feature=None if feature in (None, "none", "null", "") else feature,
        context=context_of(stage),
        date=_text(data.get("date")) or "",
        path=relative(root, path),
        labels=_strings(data.get("labels")),
        files=_strings(data.get("files")),
        tests=_strings(data.get("tests")),
        redactions=int(redactions[-1]) if redactions else 0,
        legacy=legacy or path.parent.parent != root / PROMPTS_DIR or len(name.group("id")) != 4,
    )


def list_phrs(
    root: Path, *, feature: str | None = None, stage: str | None = None
) -> list[PhrRecord]:
    """Every PHR under `history/prompts/` (and legacy `docs/prompts/`, `specs/*/prompts/`), by
    folder then id; only those of `feature` and/or `stage` when given."""
    root = Path(root)
    records = [read_phr(root, path, legacy=legacy) for path, legacy in phr_files(root)]
    return [
        record
        for record in records
        if record is not None
        and (feature is None or record.feature == feature)
        and (stage is None or record.stage == stage)
    ]


def read_prompt(document: str) -> str:
    """The prompt text of a PHR document: exact for records daprdev wrote, stripped for hand-written
    ones."""
    body = split_front_matter(document).body
    for section in sections(body):
        if section.level == 2 and section.title == "Prompt":
            return unfenced(section.content)
    return ""
