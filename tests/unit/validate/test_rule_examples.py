"""Every rule's own VALID/INVALID examples, replayed through the public gate."""

from __future__ import annotations

import pytest

from tools.changes import Diagnostic, FileChange
from tools.validate import check_changes
from tools.validate.policy import POLICY_RULES
from tools.validate.rules import ALL_RULES
from tools.validate.rules.base import Invalid, Rule

_VALID = [
    pytest.param(rule, source, id=f"{rule.id}-valid-{index}")
    for rule in ALL_RULES
    for index, source in enumerate(rule.VALID)
]
_INVALID = [
    pytest.param(rule, example, id=f"{rule.id}-invalid-{index}")
    for rule in ALL_RULES
    for index, example in enumerate(rule.INVALID)
]


def _dapr_findings(source: str) -> list[Diagnostic]:
    # An example may silence a neighbouring rule to show one rule alone, as a person would.
    report = check_changes(
        [FileChange(path="app/service.py", content=source)], trust_suppressions=True
    )
    assert not [d for d in report.diagnostics if d.rule == "syntax-error"], (
        "example does not compile"
    )
    return [d for d in report.diagnostics if d.source == "dapr"]


@pytest.mark.parametrize(("rule", "source"), _VALID)
def test_valid_example(rule: type[Rule], source: str) -> None:
    assert rule.id not in {d.rule for d in _dapr_findings(source)}


@pytest.mark.parametrize(("rule", "example"), _INVALID)
def test_invalid_example(rule: type[Rule], example: Invalid) -> None:
    findings = _dapr_findings(example.code)
    assert {d.rule for d in findings} == {rule.id}, f"expected only {rule.id}"
    first = min((d.line, d.column) for d in findings)
    assert first == (example.line, example.col)


@pytest.mark.parametrize("rule", POLICY_RULES, ids=lambda r: r.id)
def test_policy_rule_examples(rule) -> None:
    for path, content in rule.INVALID:
        report = check_changes([FileChange(path=path, content=content)])
        assert {d.rule for d in report.diagnostics} == {rule.id}, path
        assert not report.ok
    for path, content in rule.VALID:
        report = check_changes([FileChange(path=path, content=content)])
        assert rule.id not in {d.rule for d in report.diagnostics}, path


def test_every_rule_documents_itself() -> None:
    ids = [rule.id for rule in ALL_RULES]
    assert len(ids) == len(set(ids))
    for rule in ALL_RULES:
        assert rule.name and rule.message and rule.why and rule.fix
        assert rule.VALID and rule.INVALID, rule.id
