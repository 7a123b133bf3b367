"""The rules never crash on partial or odd code: every cut of the corpus services is handled."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tools.changes import Diagnostic
from tools.validate.engine import analyze

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
