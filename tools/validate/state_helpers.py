"""State read-modify-writes and check-then-sets through helpers of another project module.

A service often keeps its state access in a module of its own: `get_item(key)`/`save_item(key,
data)` functions, or a repository class around the SDK or the sidecar's `/v1.0/state` API. The
concurrency rules (DAPR016, DAPR017) judge a function's flow of reads and writes of one key, and
the file calling such helpers cannot tell a read helper from any other call. Each file therefore
contributes `StateFacts`:

- the helpers it defines (`helpers`, keyed `func` or `Class.method`): what `_state` finds for its
  own callers - a function reading the key it is given and returning what it read, or saving it
  without an ETag or concurrency options;
- what its names hold (`types`, as `tools.validate.blocking` computes them), to follow a call
  through `get_repository()` or a module-level instance;
- the findings its functions would have if the imported callees they call were such helpers
  (`held`): each names the callees it assumes, which argument is the key (and the saved value).

The project-level check follows each assumed callee to the module it names and reports the
finding at the write when every assumption holds. A helper that passes an ETag, a callee that is
no state helper or cannot be followed, keeps it quiet.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import product
from typing import Literal

from pydantic import BaseModel, Field

from tools.changes import Diagnostic
from tools.validate.astutil import FunctionNode, assigned_once, keyword, module_functions, own_nodes
from tools.validate.blocking import CALL, Chains, ModulePaths, call_text, chains_in, resolve_call
from tools.validate.context import FileContext
from tools.validate.rules._state import (
    StateAccess,
    StateAccesses,
    StateFlow,
    state_accesses,
)
from tools.validate.rules.check_then_set import CheckThenSet
from tools.validate.rules.state_etag import StateWithoutEtag

Kind = Literal["read", "write"]
# An argument of a call: its position, or the keyword it is passed as.
Slot = int | str


class StateHelper(BaseModel):
    """A function reading or saving (without an ETag) the key given as one of its parameters."""

    kind: Kind
    key: tuple[int, str] = Field(description="Position in a call and name of the key parameter.")
    value: tuple[int, str] | None = Field(
        default=None, description="The parameter a write helper saves, if it saves one."
    )


class Assumed(BaseModel):
    """An imported callee a finding takes for a state helper, and the arguments it takes as
    the key and the saved value."""

    target: str = Field(description="The dotted path its root name is imported from.")
    steps: list[str] = Field(description="Attributes and calls after the root, the callee last.")
    kind: Kind
    key: Slot
    value: Slot | None = None


class HeldFinding(BaseModel):
    """A DAPR016/DAPR017 finding that holds when every assumed callee is such a helper."""

    assumes: list[Assumed]
    diagnostic: Diagnostic


class StateFacts(BaseModel):
    """What one file contributes to the cross-file state check (see the module docstring)."""

    helpers: dict[str, StateHelper] = Field(default_factory=dict)
    types: dict[str, str] = Field(default_factory=dict)
    held: list[HeldFinding] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.helpers or self.held)


@dataclass(frozen=True)
class _Hypothesis:
    """One imported callee taken for a read or write helper, with the accesses its calls make."""

    target: str
    steps: tuple[str, ...]
    kind: Kind
    key: Slot
    value: Slot | None
    accesses: tuple[StateAccess, ...]

    @cached_property
    def ties(self) -> frozenset[str]:
        return frozenset().union(*(access.ties for access in self.accesses))

    @property
    def callee(self) -> tuple[str, tuple[str, ...]]:
        return self.target, self.steps

    def assumed(self) -> Assumed:
        return Assumed(
            target=self.target,
            steps=list(self.steps),
            kind=self.kind,
            key=self.key,
            value=self.value,
        )


def state_facts(
    ctx: FileContext,
    module: ast.Module,
    absolute: Callable[[str], str],
    types: Mapping[str, str],
) -> StateFacts:
    """The facts of one file; `types` are what its names hold (from its blocking facts)."""
    facts = StateFacts()
    exporting = state_accesses(ctx, module)
    if exporting is not None:
        facts.helpers = {
            key: StateHelper(kind=helper.kind, key=helper.key, value=helper.value)
            for key, helper in exporting.exported(module).items()
        }
        if facts.helpers:
            facts.types = dict(types)
    rules = [rule for rule in (StateWithoutEtag, CheckThenSet) if rule.id not in ctx.disabled]
    if not rules:
        return facts
    values = assigned_once(module)
    accesses: StateAccesses | None = None
    # Without a state access of its own, a function's read and write are two imported callees.
    names_state = "state" in ctx.source or "State" in ctx.source
    for owner, function in module_functions(module):
        chains = chains_in(ctx, absolute, values, function, owner)
        callees = _imported_callees(ctx, chains, function)
        if len(callees) < (1 if names_state else 2):
            continue
        accesses = accesses or state_accesses(ctx, module, named=False)
        if accesses is None:
            return facts  # a one-shot script: nothing runs concurrently with it
        facts.held += _held_findings(ctx, accesses, function, callees)
    return facts


def _imported_callees(
    ctx: FileContext, chains: Chains, function: FunctionNode
) -> dict[tuple[str, tuple[str, ...]], list[ast.Call]]:
    """The function's calls through imported project names, grouped by callee."""
    found: dict[tuple[str, tuple[str, ...]], list[ast.Call]] = {}
    for node in own_nodes(function):
        if not isinstance(node, ast.Call) or not (node.args or node.keywords):
            continue  # a helper of one key is given it
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            continue  # which argument is the key cannot be told
        chain = chains.of(node.func)
        if chain is not None and chain[1][-1:] != [CALL]:
            found.setdefault((chain[0], tuple(chain[1])), []).append(node)
    return found


def _held_findings(
    ctx: FileContext,
    accesses: StateAccesses,
    function: FunctionNode,
    callees: Mapping[tuple[str, tuple[str, ...]], list[ast.Call]],
) -> list[HeldFinding]:
    """Each finding the function has under some choice of a read and a write helper among its
    imported callees (either may be one of the file's own accesses instead)."""
    flow = StateFlow(accesses, function)
    # Calls the file itself reads as accesses are no helpers of another module.
    own = {id(a.call) for a in [*flow.reads, *flow.unguarded_writes]}
    # A write the in-file rules already report needs no second finding.
    reported = {id(write.call) for read, write in flow.pairs() if _judge(flow, read, write)}
    reads: list[_Hypothesis | None] = [None]
    writes: list[_Hypothesis | None] = [None]
    for (target, steps), all_calls in callees.items():
        calls = [call for call in all_calls if id(call) not in own]
        if calls:
            reads += _hypotheses(target, steps, calls, "read")
            writes += _hypotheses(target, steps, calls, "write")
    real_reads = frozenset().union(*(a.ties for a in flow.reads))
    real_writes = frozenset().union(*(a.ties for a in flow.unguarded_writes))
    found: dict[tuple[int, str, str], HeldFinding] = {}
    for read_as, write_as in product(reads, writes):
        if read_as is None and write_as is None:
            continue
        read_ties = read_as.ties if read_as is not None else real_reads
        if not read_ties & (write_as.ties if write_as is not None else real_writes):
            continue  # no read and write of one item: nothing to judge
        if read_as and write_as and read_as.callee == write_as.callee:
            continue  # one callee is not both a read and a write helper
        assumed = flow.assuming(
            list(read_as.accesses) if read_as else [], list(write_as.accesses) if write_as else []
        )
        for read, write in assumed.pairs():
            if id(write.call) in reported:
                continue
            assumes = [
                hypothesis.assumed()
                for hypothesis, access in ((read_as, read), (write_as, write))
                if hypothesis is not None and access in hypothesis.accesses
            ]
            judged = _judge(assumed, read, write) if assumes else None
            if judged is None:
                continue
            rule, message = judged
            diagnostic = ctx.diagnostic(
                rule(ctx), write.call, _via(message, assumes), within=function
            )
            if diagnostic is not None:
                identity = repr([a.model_dump() for a in assumes])
                found.setdefault(
                    (id(write.call), rule.id, identity),
                    HeldFinding(assumes=assumes, diagnostic=diagnostic),
                )
    return list(found.values())


def _hypotheses(
    target: str, steps: tuple[str, ...], calls: list[ast.Call], kind: Kind
) -> Iterator[_Hypothesis]:
    """The callee as a read helper of each argument every call passes, or a write helper of
    each such argument saving another (or the same, or none)."""
    slots = sorted(set.intersection(*(_slots(call) for call in calls)), key=str)
    for key in slots:
        for value in [None] if kind == "read" else [None, *slots]:
            accesses = tuple(
                StateAccess(call, None, _argument(call, key), _value(call, value)) for call in calls
            )
            yield _Hypothesis(target, steps, kind, key, value, accesses)


def _slots(call: ast.Call) -> set[Slot]:
    return {*range(len(call.args)), *(k.arg for k in call.keywords if k.arg is not None)}


def _argument(call: ast.Call, slot: Slot) -> ast.expr:
    found = call.args[slot] if isinstance(slot, int) else keyword(call, slot)
    assert found is not None  # every call of the callee passes the slot
    return found


def _value(call: ast.Call, slot: Slot | None) -> ast.expr | None:
    return None if slot is None else _argument(call, slot)


def _judge(
    flow: StateFlow, read: StateAccess, write: StateAccess
) -> tuple[type[StateWithoutEtag] | type[CheckThenSet], str] | None:
    """The rule and message the in-file rules give this pair, if any (as they judge it)."""
    if flow.carries(read, write.value):
        return (
            StateWithoutEtag,
            f"the item read on line {read.call.lineno} is changed and saved back without its ETag",
        )
    check = flow.checked_before(read, write)
    if check is not None:
        return (
            CheckThenSet,
            f"saved after the check on line {check.lineno} of the value read on line "
            f"{read.call.lineno}",
        )
    return None


def _via(message: str, assumes: list[Assumed]) -> str:
    """The message naming the helpers of the other module, and what their callers risk."""
    names = " and ".join(f"`{call_text(a.target, a.steps)}()`" for a in assumes)
    if message.startswith("saved after"):
        return (
            f"{message} (through {names}, which saves without first-write concurrency): two "
            "concurrent deliveries both pass it"
        )
    return (
        f"{message} (through {names}, which neither hands out nor takes the ETag): a "
        "concurrent update in between is lost"
    )


# -- the project-level join ------------------------------------------------------------------------


def state_findings(
    files: Mapping[str, StateFacts],
    modules: Mapping[str, str],
    types: Mapping[str, Mapping[str, str]],
    *,
    report_in: set[str],
) -> list[Diagnostic]:
    """The held findings of the files in `report_in` whose assumed callees are state helpers.

    `files` maps paths to their state facts, `modules` every known path to its module, `types`
    paths to what their names hold.
    """
    by_module = ModulePaths({module: path for path, module in modules.items()})
    empty: Mapping[str, str] = {}

    def types_of(path: str) -> Mapping[str, str]:
        return types.get(path, empty)

    findings: dict[tuple[str, int, int], Diagnostic] = {}
    for path in sorted(report_in & files.keys()):
        # A write both rules could report is a read-modify-write, as the in-file rules judge.
        held = sorted(files[path].held, key=lambda h: h.diagnostic.rule != StateWithoutEtag.id)
        for finding in held:
            if all(
                _holds(assumed, modules[path], by_module, files, types_of)
                for assumed in finding.assumes
            ):
                d = finding.diagnostic
                findings.setdefault((path, d.line, d.column), d)
    return list(findings.values())


def _holds(
    assumed: Assumed,
    importer: str,
    by_module: ModulePaths,
    files: Mapping[str, StateFacts],
    types_of: Callable[[str], Mapping[str, str]],
) -> bool:
    found = resolve_call(assumed.target, assumed.steps, importer, by_module, types_of)
    if found is None or found[0] not in files:
        return False
    helper = files[found[0]].helpers.get(found[1])
    if helper is None or helper.kind != assumed.kind or not _names(assumed.key, helper.key):
        return False
    if assumed.value is None or helper.value is None:
        return assumed.value is None and helper.value is None
    return _names(assumed.value, helper.value)


def _names(slot: Slot, parameter: tuple[int, str]) -> bool:
    """The call's argument in `slot` is the one Python binds to the helper's parameter."""
    return slot == parameter[0] if isinstance(slot, int) else slot == parameter[1]
