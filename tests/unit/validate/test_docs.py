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


def test_the_in_process_example_runs(tmp_path, monkeypatch, capsys) -> None:
    text = DOCS_PATH.read_text(encoding="utf-8")
    section = text.split("The same gate in process", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "docs/rules.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "True []"
