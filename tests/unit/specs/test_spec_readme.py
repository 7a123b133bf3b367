"""Every YAML example in specs/README.md loads through the spec loader, and its table of sections
names every section and every field of each, so the documentation cannot drift from the format;
and each example spec's spec.md says what its service.yaml says."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from tools.specs import load_spec, model
from tools.specs.loader import validate_data

SPECS = Path(__file__).resolve().parents[3] / "specs"
_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)
_ROW = re.compile(r"^\| `([a-z_.]+)` \| (.*) \|$", re.MULTILINE)
# What each row of the table declares: the models whose fields an entry of that section takes.
_SECTION_MODELS: dict[str, tuple[type[BaseModel], ...]] = {
    "service": (model.ServiceInfo, model.Idempotency),
    "models": (model.ModelSpec,),
    "events": (model.ModelSpec,),
    "publications": (model.Publication,),
    "subscriptions": (model.Subscription, model.TypedHandler),
    "pubsubs": (model.PubSub,),
    "state_stores": (model.StateStore, model.Outbox, model.StoreQuery),
    "jobs": (model.JobSpec,),
    "bindings.input": (model.InputBinding,),
    "bindings.output": (model.OutputBinding,),
    "invocations": (model.Invocation,),
    "methods": (model.Method,),
    "secrets": (model.Secrets,),
}


def _readme() -> str:
    return (SPECS / "README.md").read_text(encoding="utf-8")


def examples() -> list[dict[str, Any]]:
    return [yaml.safe_load(block) for block in _BLOCK.findall(_readme())]


def merged(base: dict[str, Any], section: dict[str, Any]) -> dict[str, Any]:
    """`section` laid over `base`, mapping into mapping, as a spec author adds a section."""
    result = copy.deepcopy(base)
    for key, value in section.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def test_the_readme_has_a_minimal_spec_and_section_examples() -> None:
    found = examples()
    assert "service" in found[0]
    assert len(found) >= 4
    assert any("secrets" in example for example in found)


@pytest.mark.parametrize("index", range(1, len(examples())))
def test_each_section_example_is_valid_beside_the_minimal_spec(index: int) -> None:
    minimal, section = examples()[0], examples()[index]
    spec, problems = validate_data(merged(minimal, section))
    assert problems == []
    assert spec is not None


def test_the_table_of_sections_names_every_section() -> None:
    sections = {name.split(".")[0] for name, _ in _ROW.findall(_readme())}
    assert sections == set(model.ServiceSpec.model_fields)
    # An entry of `enums` or `external_topics` is a list of names: no fields to name.
    with_fields = {name for name, _ in _ROW.findall(_readme())} - {"enums", "external_topics"}
    assert with_fields == set(_SECTION_MODELS)


@pytest.mark.parametrize("section", sorted(_SECTION_MODELS))
def test_the_table_of_sections_names_every_field_of_a_section(section: str) -> None:
    row = dict(_ROW.findall(_readme()))[section]
    named = set(re.findall(r"[a-z_]+", row))
    for declared in _SECTION_MODELS[section]:
        assert set(declared.model_fields) <= named, (declared.__name__, row)


def test_the_minimal_spec_is_valid_alone() -> None:
    spec, problems = validate_data(examples()[0])
    assert problems == []
    assert spec is not None


@pytest.mark.parametrize("folder", sorted(p.name for p in SPECS.iterdir() if p.is_dir()))
def test_spec_md_and_service_yaml_agree(folder: str) -> None:
    assert load_spec(SPECS / folder / "spec.md") == load_spec(SPECS / folder / "service.yaml")
