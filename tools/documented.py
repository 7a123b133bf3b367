"""The one shape every kind of daprdev finding documents its rule in.

A `Diagnostic.rule` names a Python Dapr rule (tools.validate.rules, a `Rule` subclass: the class
itself has the shape), a path/YAML policy rule (tools.validate.policy.PolicyRule) or a PHR/ADR
record code (tools.history.codes.RecordCode). docs/rules.md is rendered from this shape, so each
family is documented the same way; each adds its own examples (`VALID`/`INVALID`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class DocumentedRule(Protocol):
    """What a rule says about itself; read-only, so class attributes and frozen fields both fit."""

    @property
    def id(self) -> str:
        """The code findings carry and users filter on (`DAPR003`, `phr-route`)."""

    @property
    def name(self) -> str:
        """A kebab-case name (`sync-client`)."""

    @property
    def message(self) -> str:
        """What it reports, completing "Reports that ..."."""

    @property
    def why(self) -> str:
        """Why a finding matters."""

    @property
    def fix(self) -> str:
        """What to do about a finding, when its call site has nothing more precise to say."""
