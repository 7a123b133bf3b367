"""Service specs: the Pydantic model, loading (`service.yaml`, `spec.md`), section reads.

>>> from tools.specs import load_spec
>>> spec = load_spec(Path("specs/001-task-reminders"))   # raises SpecError listing every problem
"""

from __future__ import annotations

from tools.specs.checks import Problem
from tools.specs.loader import (
    SPEC_FILES,
    SpecSummary,
    list_specs,
    load_spec,
    read_spec_section,
    validate_data,
)
from tools.specs.model import SECTIONS, ServiceSpec

__all__ = [
    "SECTIONS",
    "SPEC_FILES",
    "Problem",
    "ServiceSpec",
    "SpecSummary",
    "list_specs",
    "load_spec",
    "read_spec_section",
    "validate_data",
]
