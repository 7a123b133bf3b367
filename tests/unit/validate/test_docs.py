"""docs/rules.md is generated from the rule classes and must match them."""

from __future__ import annotations

from tools.validate.docs import DOCS_PATH, render
from tools.validate.policy import POLICY_RULES
from tools.validate.rules import ALL_RULES


def test_docs_rules_md_is_up_to_date() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render(), (
        "docs/rules.md is stale: run `python -m tools.validate.docs`"
    )


def test_every_rule_has_a_documented_section() -> None:
    text = render()
    for rule in (*ALL_RULES, *POLICY_RULES):
        assert f"## {rule.id} {rule.name}" in text
        assert rule.why in text
