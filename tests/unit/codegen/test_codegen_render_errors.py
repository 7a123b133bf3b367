"""A render that fails says where and why: the template, its line, the rendered line, the cause."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from codegen_support import EXAMPLE

from tools.codegen import render
from tools.codegen.render import RenderError, format_python, render_service
from tools.specs import load_spec

MODELS = "package/models.py.j2"


def _with_template(monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> None:
    """Render with `name` replaced by `text`, every other template as it is."""
    real = render.environment()
    overlay = real.overlay(
        loader=jinja2.ChoiceLoader([jinja2.DictLoader({name: text}), real.loader])  # type: ignore[list-item]
    )
    monkeypatch.setattr(render, "environment", lambda: overlay)


def test_rendered_python_that_does_not_parse_names_template_line_and_cause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _with_template(monkeypatch, MODELS, '"""Models."""\n\nx = 1\nclass {{ models[0].name }}(:\n')
    with pytest.raises(RenderError) as raised:
        render_service(load_spec(EXAMPLE))
    message = str(raised.value)
    assert f"templates/service/{MODELS} rendered task_reminders/models.py" in message
    assert "line 4" in message
    assert "class Assignee(:" in message


def test_a_failing_template_names_its_line_and_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_template(monkeypatch, MODELS, '"""Models."""\n\n\n{{ no_such_value.attr }}\n')
    with pytest.raises(RenderError) as raised:
        render_service(load_spec(EXAMPLE))
    message = str(raised.value)
    assert message.startswith(f"templates/service/{MODELS}:4: rendering task_reminders/models.py")
    assert "'no_such_value' is undefined" in message


def test_a_template_syntax_error_names_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_template(monkeypatch, MODELS, "ok\n{% if %}\n")
    with pytest.raises(RenderError, match=rf"templates/service/{MODELS}:2: template syntax: "):
        render_service(load_spec(EXAMPLE))


def test_ruff_failures_keep_ruffs_reason(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as raised:
        format_python({"pkg/broken.py": "def f(:\n    pass\n"})
    message = str(raised.value)
    assert "pkg/broken.py:1:" in message
    assert "Expected" in message


def test_a_template_file_names_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real = render.build_context

    def without_effects(spec: object) -> dict[str, object]:
        context = real(spec)  # type: ignore[arg-type]
        context["effects"] = [None]
        return context

    monkeypatch.setattr(render, "build_context", without_effects)
    with pytest.raises(RenderError) as raised:
        render_service(load_spec(EXAMPLE))
    # The README, rendered first, is the first to read an effect (its table of hooks).
    lines = Path(render.resource_dir("templates") / "service" / "README.md.j2")
    line = next(i for i, t in enumerate(lines.read_text().splitlines(), 1) if "effect.doc" in t)
    assert str(raised.value).startswith(f"templates/service/README.md.j2:{line}: ")
