"""Payloads read in another module's function, under a handler's catch-all (DAPR032 across files).

`try: send_news(data) except Exception: raise HTTPException(500)` retries a message that can never
succeed when `send_news`, imported from `notifications`, reads `data["data"]` - which only that
module shows. Each file contributes `PayloadReadFacts`: its module functions that can fail for good
on a bad message, and its DAPR032 findings whose `try` reads the payload only through imported
functions, with their dotted paths. The project-level check follows each path to the module it
names and reports the finding when the function there reads what it is handed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

from pydantic import BaseModel, Field

from tools.changes import Diagnostic
from tools.validate.blocking import ModulePaths
from tools.validate.context import FileContext
from tools.validate.rules._failures import Failures
from tools.validate.rules._reach import call_graph
from tools.validate.rules.blanket_retry import BlanketRetry


class ImportedRead(BaseModel):
    """A DAPR032 finding that holds if one of the imported functions reads the payload."""

    targets: list[str] = Field(description="Absolute dotted paths of the functions called.")
    diagnostic: Diagnostic


class PayloadReadFacts(BaseModel):
    """What one file contributes to the cross-file DAPR032 check (see the module docstring)."""

    # Its module functions that decode, validate or read fields of what they are handed,
    # unguarded.
    readers: list[str] = Field(default_factory=list)
    calls: list[ImportedRead] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.readers or self.calls)


def payload_read_facts(
    ctx: FileContext, module: ast.Module, absolute: Callable[[str], str]
) -> PayloadReadFacts:
    facts = PayloadReadFacts()
    if BlanketRetry.id in ctx.disabled:
        return facts
    failures = Failures(ctx, call_graph(module))
    facts.readers = [
        name
        for name, function in ctx.module_functions.items()
        if failures.reads_parameters(function)
    ]
    facts.calls = [
        ImportedRead(targets=[absolute(target) for target in targets], diagnostic=diagnostic)
        for targets, diagnostic in ctx.imported_reads
    ]
    return facts


def payload_read_findings(
    files: Mapping[str, PayloadReadFacts],
    modules: Mapping[str, str],
    *,
    report_in: set[str],
) -> list[Diagnostic]:
    """DAPR032 at the catch-alls, in `report_in`, around a call of a function that reads."""
    pending = [path for path in sorted(report_in & files.keys()) if files[path].calls]
    if not pending:
        return []
    by_module = ModulePaths({module: path for path, module in modules.items()})

    def reads(target: str, importer: str) -> bool:
        module, _, name = target.rpartition(".")
        where = by_module.path_of(module, importer) if module else None
        facts = files.get(where) if where is not None else None
        return facts is not None and name in facts.readers

    return [
        call.diagnostic
        for path in pending
        for call in files[path].calls
        if any(reads(target, modules[path]) for target in call.targets)
    ]
