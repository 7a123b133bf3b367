"""Every rule's own VALID/INVALID examples, replayed through the public gate."""

from __future__ import annotations

import pytest

from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.policy import POLICY_RULES
from tools.validate.rules import ALL_RULES

_EXAMPLES = [
    pytest.param(rule, source, expected, id=f"{rule.id}-{kind}-{index}")
    for rule in ALL_RULES
    for kind, expected, examples in (("valid", False, rule.VALID), ("invalid", True, rule.INVALID))
    for index, source in enumerate(examples)
]


def _dapr_rules(source: str) -> set[str]:
    report = check_changes([FileChange(path="app/service.py", content=source)])
    assert not [d for d in report.diagnostics if d.rule == "syntax-error"], (
        "example does not compile"
    )
    return {d.rule for d in report.diagnostics if d.source == "dapr"}


@pytest.mark.parametrize(("rule", "source", "expected"), _EXAMPLES)
def test_rule_example(rule, source: str, expected: bool) -> None:
    found = _dapr_rules(source)
    if expected:
        assert found == {rule.id}, f"expected exactly {rule.id}, got {sorted(found)}"
    else:
        assert rule.id not in found


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
