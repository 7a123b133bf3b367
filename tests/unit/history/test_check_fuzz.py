"""Malformed records never crash the checker: arbitrary names, bytes, YAML and Markdown."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.history import check_history, list_adrs, list_phrs

KEYS = [
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
    "extra",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.dates(),
    st.sampled_from(["0001", "0010", "general", "plan", "architect", "{{TITLE}}"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
front_matter = st.dictionaries(st.sampled_from(KEYS), values, max_size=len(KEYS)).map(
    lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
)
markdown_lines = st.sampled_from(
    [
        "## Prompt",
        "## Response snapshot",
        "## Outcome",
        "## Evaluation notes (flywheel)",
        "```",
        "````text",
        "~~~",
        "# ADR-0001: T",
        "# ADR-12: x",
        "- **Status:** Accepted",
        "- **Status:** A | B",
        "- **Date:** 2025-02-30",
        "- **Context:** c",
        "## Decision",
        "## Consequences",
        "### Positive",
        "## References",
        "- Related ADRs: [ADR-0002](0002-x.md)",
        "- Supersedes: ADR-0001",
        "- Superseded by: [ADR-0003](x)",
        "{{PLACEHOLDER}}",
        "---",
        "",
        "text",
    ]
)
bodies = st.lists(st.one_of(markdown_lines, st.text(max_size=40)), max_size=25).map("\n".join)
documents = st.one_of(
    st.text(max_size=300),
    st.tuples(front_matter, bodies).map(lambda parts: f"---\n{parts[0]}---\n{parts[1]}"),
    st.tuples(st.text(max_size=80), bodies).map(lambda parts: f"---\n{parts[0]}\n---\n{parts[1]}"),
)
contents = st.one_of(
    documents.map(lambda text: text.encode("utf-8", "surrogatepass")), st.binary(max_size=200)
)

phr_names = st.from_regex(
    r"[0-9]{1,5}-[a-zA-Z0-9._-]{0,12}(\.[a-z]{1,10})?\.prompt\.md", fullmatch=True
)
adr_names = st.from_regex(r"[0-9]{1,5}-[a-zA-Z0-9._-]{0,12}\.md|README\.md", fullmatch=True)
phr_folders = st.sampled_from(
    [
        "history/prompts/general",
        "history/prompts/constitution",
        "history/prompts/001-task-reminders",
        "history/prompts/999-unknown",
        "history/prompts",
        "docs/prompts",
        "specs/001-task-reminders/prompts",
    ]
)
adr_folders = st.sampled_from(["history/adr", "docs/adr"])
files = st.lists(
    st.one_of(
        st.tuples(phr_folders, phr_names, contents), st.tuples(adr_folders, adr_names, contents)
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=files)
def test_checker_and_listings_survive_any_input(files: list[tuple[str, str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "specs" / "001-task-reminders").mkdir(parents=True)
        for directory, name, content in files:
            (root / directory).mkdir(parents=True, exist_ok=True)
            (root / directory / name).write_bytes(content)
        findings = check_history(root)
        list_phrs(root)
        list_adrs(root)
    crashes = [d for d in findings if d.rule == "history-checker-error"]
    assert crashes == [], crashes[0].message if crashes else ""
    for finding in findings:
        assert finding.source == "history"
        assert finding.line >= 1 and finding.column >= 1
        assert finding.message and finding.fix
