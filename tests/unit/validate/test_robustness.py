"""The rules never crash on partial or odd code: every cut of the corpus services is handled;
and a rule failing leaves the interpreter as it was."""

from __future__ import annotations

import ast
import gc
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.changes import Diagnostic
from tools.validate.engine import analyze
from tools.validate.rules.base import Rule

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SOURCES = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.py"))]


@settings(max_examples=200, deadline=None)
@given(source=st.sampled_from(SOURCES), data=st.data())
def test_any_slice_of_lines_is_analysed_without_crashing(source: str, data: st.DataObject) -> None:
    lines = source.splitlines(keepends=True)
    start = data.draw(st.integers(0, len(lines)))
    stop = data.draw(st.integers(start, len(lines)))
    dropped = data.draw(st.integers(0, 5))
    fragment = "".join(lines[start:stop][dropped:])
    analysis = analyze("app/fragment.py", fragment)
    assert all(
        isinstance(d, Diagnostic) and d.line >= 1 and d.column >= 1 for d in analysis.diagnostics
    )
    if not analysis.compiled:
        assert [d.rule for d in analysis.diagnostics] == ["syntax-error"]


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_text_gives_a_syntax_error_or_a_result(text: str) -> None:
    analysis = analyze("app/noise.py", text)
    assert analysis.compiled or analysis.diagnostics[0].rule == "syntax-error"


class _CollectorProbe(Rule):
    """Records, at the file's module, whether Python's cyclic collector is running."""

    id = "TEST001"
    name = "collector-probe"
    message = why = fix = ""
    seen: ClassVar[list[bool]] = []

    def visit_Module(self, node: ast.Module) -> None:
        self.seen.append(gc.isenabled())


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_while_a_file_is_judged_and_left_as_it_was(enabled: bool) -> None:
    _CollectorProbe.seen.clear()
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        analyze("app.py", "import asyncio\n", rules=[_CollectorProbe])
        assert _CollectorProbe.seen == [False]
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_the_collector_runs_again_when_a_rule_fails() -> None:
    class Failing(_CollectorProbe):
        def visit_Module(self, node: ast.Module) -> None:
            raise RuntimeError("a rule bug")

    with pytest.raises(RuntimeError):
        analyze("app.py", "x = 1\n", rules=[Failing])
    assert gc.isenabled()
