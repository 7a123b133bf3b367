"""The record code catalog: every code is documented, shown by its examples, and the only way to
report a finding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.documented import DocumentedRule
from tools.history import check_history
from tools.history.codes import CODES, RECORD_CODES, RecordCode
from tools.history.examples import Files, write_files
from tools.history.findings import Findings
from tools.validate.policy import POLICY_RULES
from tools.validate.rules import ALL_RULES

HISTORY_SOURCES = sorted((Path(__file__).parents[3] / "tools" / "history").glob("*.py"))
# A quoted code-like string anywhere in tools/history: a code reported, or about to be.
_CODE_LITERAL = re.compile(r"""["'](?P<code>(?:phr|adr|history)-[a-z0-9-]+)["']""")
# A code assembled at run time could not be checked against the catalog at all.
_ASSEMBLED_CODE = re.compile(r"""\{[^{}]*\}-(?:[a-z0-9]+-)*[a-z0-9]+["']""")


def _reported(root: Path, files: Files) -> set[str]:
    write_files(root, files)
    return {diagnostic.rule for diagnostic in check_history(root)}


def _examples(kind: str) -> list[tuple[str, Files]]:
    return [
        pytest.param(code.id, files, id=f"{code.id}-{index}")
        for code in RECORD_CODES
        for index, files in enumerate(getattr(code, kind))
    ]


@pytest.mark.parametrize(("code", "files"), _examples("INVALID"))
def test_each_invalid_example_reports_its_code_and_nothing_else(
    tmp_path: Path, code: str, files: Files
) -> None:
    assert _reported(tmp_path, files) == {code}


@pytest.mark.parametrize(("code", "files"), _examples("VALID"))
def test_valid_examples_report_nothing(tmp_path: Path, code: str, files: Files) -> None:
    assert _reported(tmp_path, files) == set()


def test_every_code_has_an_invalid_example_or_says_why_not() -> None:
    for code in RECORD_CODES:
        assert bool(code.INVALID) != bool(code.no_example), code.id
    unexampled = {code.id for code in RECORD_CODES if not code.INVALID}
    assert unexampled == {"history-unreadable", "history-checker-error"}


def test_every_code_in_the_history_source_is_catalogued() -> None:
    used: set[str] = set()
    for source in HISTORY_SOURCES:
        text = source.read_text(encoding="utf-8")
        used |= {match["code"] for match in _CODE_LITERAL.finditer(text)}
        assert not _ASSEMBLED_CODE.search(text), f"{source.name} assembles a code at run time"
    assert used - CODES.keys() == set(), "uncatalogued codes: add them to tools/history/codes.py"
    assert used >= {"phr-route", "adr-index"}, "the pattern no longer finds the codes"


def test_only_findings_builds_history_diagnostics() -> None:
    builders = [s.name for s in HISTORY_SOURCES if "Diagnostic(" in s.read_text(encoding="utf-8")]
    assert builders == ["findings.py"]


def test_an_uncatalogued_code_is_refused(tmp_path: Path) -> None:
    stray = RecordCode(id="phr-route", name="n", message="m", why="w", fix="f")
    with pytest.raises(ValueError, match="phr-route"):
        Findings(tmp_path, tmp_path / "x.md").add(stray, "a message")


def test_a_finding_carries_the_code_why_and_default_fix(tmp_path: Path) -> None:
    found = Findings(tmp_path, tmp_path / "x.md")
    code = CODES["adr-index"]
    found.add(code, "a message")
    found.add(code, "another", fix="do this instead")
    assert [(d.rule, d.why, d.fix) for d in found.items] == [
        (code.id, code.why, code.fix),
        (code.id, code.why, "do this instead"),
    ]


def test_codes_are_unique_across_the_three_families() -> None:
    ids = [rule.id for rule in (*ALL_RULES, *POLICY_RULES, *RECORD_CODES)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_three_families_share_the_documented_shape() -> None:
    for rule in (*ALL_RULES, *POLICY_RULES, *RECORD_CODES):
        assert isinstance(rule, DocumentedRule), rule.id
        assert all(getattr(rule, field) for field in ("id", "name", "message", "why", "fix"))
