"""Envelope models of another project module typing a delivery's body (DAPR034 across files).

`async def on_task(event: CloudEvent)` with `CloudEvent` imported from `app.schemas` requires
whatever that model requires - which only the module defining it shows. Each file contributes
`EnvelopeFacts`: its Pydantic models shaped like the envelope that require attributes a delivery
may lack, and its delivery handlers' bodies typed by an imported name, each with its DAPR034
finding. The project-level check follows each import to the module it names, and on through
that module's `from x import *` (a package re-exporting its submodules), and reports it when the
model found there requires such attributes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

from pydantic import BaseModel, Field

from tools.changes import Diagnostic
from tools.validate.blocking import ModulePaths
from tools.validate.context import FileContext
from tools.validate.rules._envelope import ModelShapes
from tools.validate.rules.envelope_validated import EnvelopeValidated, requires_attributes

# Packages re-exporting packages re-exporting modules: as deep as anyone nests them.
_RE_EXPORT_DEPTH = 4


class TypedBody(BaseModel):
    """A delivery handler's body parameter typed by an imported name."""

    target: str = Field(description="The dotted path the name is imported from.")
    parameter: str
    diagnostic: Diagnostic = Field(
        description="DAPR034 at the parameter; the message is completed."
    )


class EnvelopeFacts(BaseModel):
    """What one file contributes to the cross-file DAPR034 check (see the module docstring)."""

    # Model name -> the optional envelope attributes it requires.
    models: dict[str, list[str]] = Field(default_factory=dict)
    bodies: list[TypedBody] = Field(default_factory=list)
    # The modules it re-exports whole (`from .types import *`), as absolute dotted paths.
    star_imports: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.models or self.bodies or self.star_imports)


def envelope_facts(
    ctx: FileContext, module: ast.Module, absolute: Callable[[str], str]
) -> EnvelopeFacts:
    """The facts of one file: its module-level envelope models and its typed bodies."""
    facts = EnvelopeFacts()
    if EnvelopeValidated.id in ctx.disabled:
        return facts
    if ctx.models:
        shapes = ModelShapes()
        for statement in module.body:
            if isinstance(statement, ast.ClassDef):
                shapes.note(statement)
                lacking = shapes.lacking_attributes(statement.name)
                if lacking and statement.name in ctx.models:
                    facts.models[statement.name] = sorted(lacking)
    facts.star_imports = [
        absolute("." * statement.level + (statement.module or ""))
        for statement in module.body
        if isinstance(statement, ast.ImportFrom) and any(a.name == "*" for a in statement.names)
    ]
    facts.bodies = [
        TypedBody(target=absolute(qualname), parameter=parameter, diagnostic=diagnostic)
        for qualname, parameter, diagnostic in ctx.imported_envelopes
    ]
    return facts


def envelope_findings(
    files: Mapping[str, EnvelopeFacts],
    modules: Mapping[str, str],
    *,
    report_in: set[str],
) -> list[Diagnostic]:
    """DAPR034 at the typed bodies, in `report_in`, whose model is such an envelope."""
    by_module = ModulePaths({module: path for path, module in modules.items()})

    def lacking(module: str, name: str, importer: str, depth: int = 0) -> list[str] | None:
        where = by_module.path_of(module, importer) if module else None
        facts = files.get(where) if where is not None else None
        if facts is None:
            return None
        if name in facts.models:
            return facts.models[name]
        for star in facts.star_imports if depth < _RE_EXPORT_DEPTH else ():
            found = lacking(star, name, modules[where], depth + 1)  # type: ignore[index]
            if found:
                return found
        return None

    findings = []
    for path in sorted(report_in & files.keys()):
        for body in files[path].bodies:
            module, _, name = body.target.rpartition(".")
            required = lacking(module, name, modules[path])
            if required:
                message = requires_attributes(body.parameter, required)
                findings.append(body.diagnostic.model_copy(update={"message": message}))
    return findings
