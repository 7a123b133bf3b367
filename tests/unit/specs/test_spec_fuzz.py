"""Whatever a spec file holds, loading it ends in a spec or a SpecError: never a traceback."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.errors import SpecError
from tools.specs import load_spec, read_spec_section

EXAMPLE = yaml.safe_load(
    (
        Path(__file__).resolve().parents[3] / "specs" / "001-task-reminders" / "service.yaml"
    ).read_text(encoding="utf-8")
)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(EXAMPLE)[1:]


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


MAPPINGS = [p for p in _paths(EXAMPLE) if isinstance(_get(EXAMPLE, p), dict)]


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), value=values)
def test_any_value_anywhere_is_a_spec_or_a_spec_error(
    tmp_path: Path, path: tuple[Any, ...], value: Any
) -> None:
    data = _replace(copy.deepcopy(EXAMPLE), path, value)
    spec_file = tmp_path / "service.yaml"
    spec_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        load_spec(spec_file)
    except SpecError as error:
        assert str(error).strip()


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_any_text_is_a_spec_or_a_spec_error(tmp_path: Path, text: str) -> None:
    for name in ("service.yaml", "spec.md"):
        spec_file = tmp_path / name
        spec_file.write_text(text, encoding="utf-8")
        with contextlib.suppress(SpecError):
            load_spec(spec_file)
        with contextlib.suppress(SpecError):
            read_spec_section(spec_file, "events")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(MAPPINGS),
    key=st.one_of(st.text(max_size=10), st.integers(-3, 3), st.booleans()),
    value=values,
)
def test_any_extra_key_anywhere_is_a_spec_or_a_spec_error(
    tmp_path: Path, path: tuple[Any, ...], key: Any, value: Any
) -> None:
    data = copy.deepcopy(EXAMPLE)
    _get(data, path)[key] = value
    spec_file = tmp_path / "service.yaml"
    spec_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with contextlib.suppress(SpecError):
        load_spec(spec_file)
