"""Records match the Spec-Kit Plus format facts: paths, file names, key order, headings, slugs.

The expected values below are transcribed from Spec-Kit Plus's own template, scripts and command
files (see the project's research notes on Spec-Kit Plus), not from daprdev's code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from history_support import FEATURE, new_phr

from tools.history import create_adr
from tools.history.layout import slugify

SPECKIT_PHR_KEYS = [
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
]
SPECKIT_LINK_KEYS = ["spec", "ticket", "adr", "pr"]
SPECKIT_PHR_SECTIONS = [
    "## Prompt",
    "## Response snapshot",
    "## Outcome",
    "## Evaluation notes (flywheel)",
]
SPECKIT_OUTCOME_BULLETS = [
    "- ✅ Impact:",
    "- 🧪 Tests:",
    "- 📁 Files:",
    "- 🔁 Next prompts:",
    "- 🧠 Reflection:",
]
SPECKIT_FLYWHEEL_BULLETS = [
    "- Failure modes observed:",
    "- Graders run and results (PASS/FAIL):",
    "- Prompt variant (if applicable):",
    "- Next experiment (smallest change to try):",
]
SPECKIT_PHR_NAME = re.compile(
    r"^\d{4}-[a-z0-9-]+\.(constitution|spec|plan|tasks|red|green|refactor|explainer|misc|general)\.prompt\.md$"
)
SPECKIT_ADR_NAME = re.compile(r"^\d{4}-[a-z0-9-]+\.md$")
SPECKIT_ADR_STATUS_BLOCK = ["- **Status:**", "- **Date:**", "- **Feature:**", "- **Context:**"]
SPECKIT_ADR_HEADINGS = [
    "## Decision",
    "## Consequences",
    "### Positive",
    "### Negative",
    "## Alternatives Considered",
    "## References",
]
SPECKIT_ADR_REFERENCES = [
    "- Feature Spec:",
    "- Implementation Plan:",
    "- Related ADRs:",
    "- Evaluator Evidence:",
]


def _in_order(lines: list[str], prefixes: list[str]) -> list[str]:
    """The prefixes that begin a line (headings: that are the whole line), in document order."""
    return [
        prefix
        for line in lines
        for prefix in prefixes
        if line == prefix or (not prefix.startswith("#") and line.startswith(prefix))
    ]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Implement login: JWT & OAuth2 (v2)!", "implement-login-jwt-oauth2-v2"),
        ("Café résumé naïve", "caf-r-sum-na-ve"),
    ],
)
def test_slug_matches_the_upstream_shell_pipeline(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_phr_layout_keys_and_headings(project: Path) -> None:
    record = new_phr(project, stage="plan", feature=FEATURE, labels=["dapr"])
    path = project / record.path
    assert path.parent == project / "history" / "prompts" / FEATURE
    assert SPECKIT_PHR_NAME.match(path.name)
    text = path.read_text(encoding="utf-8")
    header, body = text.removeprefix("---\n").split("\n---\n", 1)
    data = yaml.safe_load(header)
    assert list(data) == SPECKIT_PHR_KEYS
    assert list(data["links"]) == SPECKIT_LINK_KEYS
    assert re.search(r"^labels: \[.*\]$", header, re.MULTILINE), "labels is a flow list upstream"
    lines = body.splitlines()
    assert [line for line in lines if line.startswith("## ")] == SPECKIT_PHR_SECTIONS
    assert _in_order(lines, SPECKIT_OUTCOME_BULLETS) == SPECKIT_OUTCOME_BULLETS
    assert _in_order(lines, SPECKIT_FLYWHEEL_BULLETS) == SPECKIT_FLYWHEEL_BULLETS


def test_phr_json_has_the_keys_of_create_phr_sh(project: Path) -> None:
    payload = new_phr(project).model_dump()
    assert {"id", "path", "context", "stage", "feature"} <= set(payload)
    assert payload["context"] == "general"


def test_adr_layout_and_headings(project: Path) -> None:
    record = create_adr(project, title="Reminder Scheduling", context="c", decision="d")
    path = project / record.path
    assert path.parent == project / "history" / "adr"
    assert SPECKIT_ADR_NAME.match(path.name)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# ADR-0001: Reminder Scheduling"
    assert _in_order(lines, SPECKIT_ADR_STATUS_BLOCK) == SPECKIT_ADR_STATUS_BLOCK
    assert _in_order(lines, SPECKIT_ADR_HEADINGS) == SPECKIT_ADR_HEADINGS
    assert _in_order(lines, SPECKIT_ADR_REFERENCES) == SPECKIT_ADR_REFERENCES
    assert "front matter" not in lines[0] and lines[0] != "---", (
        "upstream ADRs have no front matter"
    )
