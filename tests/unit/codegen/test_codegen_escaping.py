"""Spec text with quotes, backslashes, '#', ':', newlines and non-ASCII reaches every generated file
intact: each YAML and TOML file parses back to the spec's values, each Python file compiles, and the
service's own tests pass."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from codegen_support import HOSTILE
from hypothesis import given
from hypothesis import strategies as st

from tools.codegen import render_service
from tools.codegen.quoting import pydoc, pystr, tomlstr, yamlstr
from tools.specs import load_spec
from tools.specs.names import enum_member, identifier, package_name


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return {f.path: f.content for f in render_service(load_spec(HOSTILE))}


@pytest.fixture(scope="module")
def spec_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(HOSTILE.read_text(encoding="utf-8"))
    return data


def test_every_yaml_file_parses_to_the_spec_values(
    rendered: dict[str, str], spec_data: dict[str, Any]
) -> None:
    documents = {p: yaml.safe_load(t) for p, t in rendered.items() if p.endswith(".yaml")}
    for direction in ("input", "output"):
        for name, binding in spec_data["bindings"][direction].items():
            metadata = documents[f"components/{name}.yaml"]["spec"]["metadata"]
            written = {m["name"]: m["value"] for m in metadata}
            for key, value in binding.get("metadata", {}).items():
                assert written[key] == value
    rules = documents["components/subscriptions/readings.yaml"]["spec"]["routes"]["rules"]
    match = spec_data["subscriptions"]["readings"]["rules"][0]["match"]
    assert rules[0]["match"].endswith(f"({match})")  # behind the guards that keep it from failing


def test_pyproject_parses_with_the_description_on_one_line(
    rendered: dict[str, str], spec_data: dict[str, Any]
) -> None:
    project = tomllib.loads(rendered["pyproject.toml"])["project"]
    assert project["description"] == " ".join(spec_data["service"]["description"].split())


def test_every_python_file_compiles_and_keeps_its_docstrings(
    rendered: dict[str, str], spec_data: dict[str, Any]
) -> None:
    for path, text in rendered.items():
        if path.endswith(".py"):
            compile(text, path, "exec")
    models = ast.parse(rendered["queue_app/models.py"])
    docs = {
        node.name: ast.get_docstring(node, clean=False)
        for node in models.body
        if isinstance(node, ast.ClassDef)
    }
    for name, model in {**spec_data["models"], **spec_data["events"]}.items():
        assert (docs[name] or "").strip() == model["description"]


def test_names_that_would_shadow_or_not_parse_are_made_safe(rendered: dict[str, str]) -> None:
    assert "queue_app/main.py" in rendered  # 'queue' would shadow the standard library
    settings = rendered["queue_app/settings.py"]
    assert (
        "    log_level_: str = " in settings
    )  # the component 'log-level' beside Settings.log_level
    assert "    from_: str = " in settings  # the component 'from', a keyword


def test_the_hostile_service_is_gate_clean_and_its_tests_pass(tmp_path: Path) -> None:
    from tools.codegen import generate
    from tools.workspace import Workspace

    spec = tmp_path / "spec" / "service.yaml"
    spec.parent.mkdir()
    spec.write_text(HOSTILE.read_text(encoding="utf-8"), encoding="utf-8")
    result = generate(spec, workspace=Workspace(tmp_path), out="svc")
    assert result.ok, [d.message for d in result.diagnostics]
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=tmp_path / "svc",
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-4000:]


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(TEXT)
def test_python_literals_read_back(value: str) -> None:
    assert ast.literal_eval(pystr(value)) == value
    # Between triple quotes, text beginning or ending with '"' gets a space there, as ruff writes.
    doc = ast.literal_eval(pydoc(value))
    assert doc in {value, f" {value}", f"{value} ", f" {value} "}


@given(TEXT)
def test_yaml_scalars_read_back(value: str) -> None:
    for plain in (False, True):
        text = yamlstr(value, plain=plain)
        assert "\n" not in text
        assert yaml.safe_load(f"key: {text}\n") == {"key": value}


@given(TEXT)
def test_toml_strings_read_back(value: str) -> None:
    assert tomllib.loads(f"key = {tomlstr(value)}\n") == {"key": value}


@given(TEXT)
def test_derived_names_are_ascii_identifiers(value: str) -> None:
    member = enum_member(value)
    assert member.isascii() and member.isidentifier()
    for name in (identifier(value, frozenset({"log_level"})), package_name(value or "x")):
        assert name.isascii() and name.isidentifier()
