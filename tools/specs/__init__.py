"""Service specs: the Pydantic model, loading (`service.yaml`, `spec.md`), section reads.

>>> from tools.specs import load_spec
>>> spec = load_spec(Path("specs/001-task-reminders"))   # raises SpecError listing every problem

The MCP server reads through `ProjectSpecs`, which keeps every read inside the project root.
"""

from __future__ import annotations

from tools.specs.checks import Problem
from tools.specs.loader import (
    SPEC_FILES,
    Reader,
    load_spec,
    read_spec_section,
    read_with_problems,
    validate_data,
)
from tools.specs.model import SECTIONS, ServiceSpec
from tools.specs.project import ProjectSpecs, SpecSummary, list_specs

__all__ = [
    "SECTIONS",
    "SPEC_FILES",
    "Problem",
    "ProjectSpecs",
    "Reader",
    "ServiceSpec",
    "SpecSummary",
    "list_specs",
    "load_spec",
    "read_spec_section",
    "read_with_problems",
    "validate_data",
]
