"""Failures a helper of another project module hides from a delivery handler (DAPR033, DAPR006).

A delivery handler often hands the work to a function of another module (`await
handle_order(event)`, `await get_service().process(data)`) and answers SUCCESS after it. When that
function catches the failure of its work (a blanket `except`, or the transport errors of the
client it uses) and returns instead of raising, nothing reaches the handler: Dapr acknowledges
the message and the work is lost. No single file shows both ends, so each file contributes
`QuietFacts`:

- its functions that swallow a failure (`helpers`, keyed `func` or `Class.method`): where the
  in-file rule would report it (a `return` in the `except`, or the `except` itself), whether the
  failure is signalled by the value returned (`return False` where success returns True), and the
  imported callees whose signalled result the function returns as its own;
- what its names hold (`types`, as `tools.validate.blocking` computes them);
- the calls its delivery handlers make through imported names while ignoring the result, then
  answering success (`ignored`);
- the RETRY answers its pub/sub handlers give when such a call's result is falsy (`retried`): a
  helper returning the same falsy value for a payload it refuses (a check of its arguments'
  content) and for a failure (`poison_alike`) makes a malformed message loop (DAPR006).

A publish helper is the other half (DAPR036): a function that answers a failed write through
the sidecar (a publish, a job schedule, a service invocation) with a value (`return False`) which
no call in its own file looks at, because its callers live in other modules. The file records the
finding (`publishers`), and every file the calls it makes through imported names, split into
those that throw the result away (`discarded`) and those that use it (`used`); the finding holds
when some call reaches the helper and none of them uses the answer. Every such helper is also
listed with what it writes (`writers`), and each call of another module that throws its answer
away is reported at the call, whatever the other calls do.

The project-level check follows each ignored call. A helper that signals the failure by its value
is the handler's mistake (it ignores the result): reported at the call. A helper that returns as
it does on success leaves its callers nothing to check: reported in the helper, naming the
handler. A helper that re-raises, a result the handler checks, a call that cannot be followed:
quiet.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping

from pydantic import BaseModel, Field

from tools.changes import Diagnostic
from tools.validate.astutil import (
    FunctionNode,
    assigned_once,
    is_log_call,
    module_functions,
    own_nodes,
    walk,
)
from tools.validate.blocking import CALL, Chains, ModulePaths, call_text, chains_in, resolve_call
from tools.validate.context import FileContext
from tools.validate.rules._answers import TRANSIENT_ERRORS, answers, caught, reading, returns_none
from tools.validate.rules.invocation_idempotency import InvocationWithoutIdempotencyKey
from tools.validate.rules.memory_dedupe import InMemoryDedupe
from tools.validate.rules.poison_message import PoisonMessage
from tools.validate.rules.swallowed_error import (
    SwallowedError,
    continues_to_success,
    except_keyword,
)
from tools.validate.rules.unchecked_answer import (
    UncheckedSidecarAnswer,
    outcome,
    swallowed_message,
    thrown_away,
    thrown_message,
)

_MAX_HOPS = 4


class Callee(BaseModel):
    """A call through an imported name: the dotted path of its root and the steps after it."""

    target: str
    steps: list[str]


class QuietHelper(BaseModel):
    """A function that catches the failure of its work and returns instead of raising."""

    sites: list[Diagnostic] = Field(
        default_factory=list, description="DAPR033 where the in-file rule would report it."
    )
    signals: bool = Field(
        default=False, description="The failure returns a value success never returns."
    )
    through: list[Callee] = Field(
        default_factory=list, description="Imported callees whose result it returns as its own."
    )
    poison_alike: bool = Field(
        default=False,
        description="It returns the same falsy value for a payload it refuses and for a failure.",
    )


class IgnoredCall(BaseModel):
    """A call a delivery handler makes through an imported name, its result ignored, before it
    answers success."""

    callee: Callee
    handler: str
    known: bool = Field(description="This file shows Dapr delivering to the handler.")
    diagnostic: Diagnostic = Field(description="DAPR033 at the call, for a signalling helper.")


class RetriedResult(BaseModel):
    """A pub/sub handler answering RETRY when an imported callee's result is falsy."""

    callee: Callee
    handler: str
    known: bool = Field(description="This file shows Dapr delivering to the handler.")
    diagnostic: Diagnostic = Field(description="DAPR006 at the RETRY answer.")


class UnreadPublish(BaseModel):
    """DAPR036 in a helper whose answer to a failed publish only calls from other modules get."""

    keys: list[str] = Field(description="The helper and the functions returning its answer.")
    what: str = Field(default="publish", description="The write: publish, job schedule, ...")
    site: Diagnostic


class GuardedCalls(BaseModel):
    """A `try` whose except only logs, around calls through imported names (DAPR036 at the
    except should one of them send through the sidecar, its failure reaching the try)."""

    callees: list[Callee]
    diagnostic: Diagnostic


class CallSite(BaseModel):
    """A call through an imported name, and the line it is on."""

    callee: Callee
    line: int
    diagnostic: Diagnostic | None = Field(
        default=None, description="DAPR036 at the call, for a callee that signals by value."
    )


class DeliveryCall(BaseModel):
    """A call a delivery handler makes through an imported name."""

    callee: Callee
    handler: str
    line: int
    known: bool = Field(description="This file shows Dapr delivering to the handler.")


class QuietFacts(BaseModel):
    """What one file contributes to the cross-file DAPR033, DAPR006 and DAPR036 checks (see the
    module docstring)."""

    helpers: dict[str, QuietHelper] = Field(default_factory=dict)
    types: dict[str, str] = Field(default_factory=dict)
    ignored: list[IgnoredCall] = Field(default_factory=list)
    retried: list[RetriedResult] = Field(default_factory=list)
    publishers: list[UnreadPublish] = Field(default_factory=list)
    writers: dict[str, str] = Field(
        default_factory=dict,
        description="Functions answering a failed write with a value, with what they write.",
    )
    discarded: list[CallSite] = Field(default_factory=list)
    used: list[Callee] = Field(default_factory=list)
    unreached: dict[str, list[Diagnostic]] = Field(
        default_factory=dict,
        description="Per-message findings (DAPR050, DAPR018) in functions no delivery of the file "
        "reaches, by function.",
    )
    delivery_calls: list[DeliveryCall] = Field(default_factory=list)
    senders: dict[str, str] = Field(
        default_factory=dict,
        description="Functions whose failed write through the sidecar reaches their caller.",
    )
    guarded: list[GuardedCalls] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.helpers
            or self.ignored
            or self.retried
            or self.publishers
            or self.writers
            or self.discarded
            or self.used
            or self.unreached
            or self.delivery_calls
            or self.senders
            or self.guarded
        )


def quiet_facts(
    ctx: FileContext,
    module: ast.Module,
    absolute: Callable[[str], str],
    types: Mapping[str, str],
) -> QuietFacts:
    """The facts of one file; `types` are what its names hold (from its blocking facts)."""
    facts = QuietFacts()
    swallowed, poison, unchecked = (
        rule.id not in ctx.disabled
        for rule in (SwallowedError, PoisonMessage, UncheckedSidecarAnswer)
    )
    if not (swallowed or poison or unchecked):
        return facts
    facts.publishers = [
        UnreadPublish(keys=list(keys), what=what, site=site)
        for keys, what, site in ctx.signalled_publishes
    ]
    facts.writers = {key: what for keys, what in ctx.signalling_writers for key in keys}
    facts.senders = dict(ctx.sending_functions)
    guarded: dict[int, list[tuple[list[ast.stmt], Diagnostic]]] = {}
    for function, body, site in ctx.swallowing_tries:
        guarded.setdefault(id(function), []).append((body, site))
    for key, site in ctx.unreached_sites:
        facts.unreached.setdefault(key, []).append(site)
    values = assigned_once(module)
    # A dapr.ext.grpc subscriber is judged as a subscription handler, a binding callback as a
    # job handler is: only whether it failed reaches daprd.
    grpc = [function for function, delivery in ctx.grpc_callbacks if delivery == "pubsub"]
    handlers = {id(handler) for handler in [*ctx.subscription_handlers(), *grpc]}
    jobs = {id(handler) for handler, _ in ctx.job_handlers()} | {
        id(function) for function in ctx.grpc_bindings()
    }
    statements, handed = thrown_away(module)
    statements |= {id(function) for function in handed}
    for owner, function in module_functions(module):
        chains = chains_in(ctx, absolute, values, function, owner)
        if unchecked:
            _project_calls(ctx, facts, chains, function, statements)
            for body, site in guarded.get(id(function), []):
                callees = _callees(chains, body)
                if callees:
                    facts.guarded.append(GuardedCalls(callees=callees, diagnostic=site))
        if id(function) in handlers or id(function) in jobs:
            if {InvocationWithoutIdempotencyKey.id, InMemoryDedupe.id} - ctx.disabled:
                facts.delivery_calls += _delivery_calls(ctx, chains, function)
            if swallowed:
                facts.ignored += _ignored_calls(ctx, chains, function, id(function) in handlers)
            if poison and id(function) in handlers:
                facts.retried += _retried_results(ctx, chains, function)
        else:
            helper = _quiet_helper(ctx, chains, function)
            if helper is not None:
                key = f"{owner.name}.{function.name}" if owner else function.name
                facts.helpers[key] = helper
    if facts.helpers or facts.publishers or facts.unreached:
        facts.types = dict(types)
    return facts


def _delivery_calls(ctx: FileContext, chains: Chains, handler: FunctionNode) -> list[DeliveryCall]:
    """The handler's calls through imported names: the work it hands to other modules."""
    found = []
    for node in own_nodes(handler):
        if not isinstance(node, ast.Call) or is_log_call(node):
            continue
        chain = chains.of(node.func)
        if chain is None or chain[1][-1:] == [CALL]:
            continue
        known = ctx.deferral_target(node, handler) is None
        callee = Callee(target=chain[0], steps=chain[1])
        found.append(
            DeliveryCall(callee=callee, handler=handler.name, line=node.lineno, known=known)
        )
    return found


def _project_calls(
    ctx: FileContext,
    facts: QuietFacts,
    chains: Chains,
    function: FunctionNode,
    statements: set[int],
) -> None:
    """The function's calls through imported names, split by whether the result is thrown away
    (`statements`: the calls that are a statement of their own, awaited or not, handed to a task
    nobody keeps, and the functions handed to a background runner, which count as calls)."""
    for node in own_nodes(function):
        if id(node) in statements and isinstance(node, ast.Name | ast.Attribute):
            chain = chains.of(node)
            if chain is not None and chain[1][-1:] != [CALL]:
                facts.discarded.append(_thrown_site(ctx, chain, node, function))
            continue
        if not isinstance(node, ast.Call) or is_log_call(node):
            continue
        chain = chains.of(node.func)
        if chain is None or chain[1][-1:] == [CALL]:
            continue
        if id(node) in statements:
            facts.discarded.append(_thrown_site(ctx, chain, node, function))
        else:
            facts.used.append(Callee(target=chain[0], steps=chain[1]))


def _callees(chains: Chains, body: list[ast.stmt]) -> list[Callee]:
    """The calls through imported names in `body`, in order."""
    found = []
    for statement in body:
        for node in walk(statement):
            if isinstance(node, ast.Call) and not is_log_call(node):
                chain = chains.of(node.func)
                if chain is not None and chain[1][-1:] != [CALL]:
                    found.append(Callee(target=chain[0], steps=chain[1]))
    return found


def _thrown_site(
    ctx: FileContext, chain: tuple[str, list[str]], node: ast.expr, function: FunctionNode
) -> CallSite:
    """A call (or a function handed to a background runner) that throws the answer away, with
    DAPR036 at it should the callee answer a failed write with a value; the message is the
    project's to complete."""
    callee = Callee(target=chain[0], steps=chain[1])
    site = ctx.diagnostic(UncheckedSidecarAnswer(ctx), node, "", within=function)
    return CallSite(callee=callee, line=node.lineno, diagnostic=site)


# -- the helper's side -----------------------------------------------------------------------------


def _quiet_helper(ctx: FileContext, chains: Chains, function: FunctionNode) -> QuietHelper | None:
    helper = QuietHelper()
    failures: list[ast.Return] = []
    for node in own_nodes(function):
        if isinstance(node, ast.Try | ast.TryStar) and _does_work(node.body):
            for clause in node.handlers:
                if caught(clause) & TRANSIENT_ERRORS and not _raises(clause.body):
                    returns = [s for s, _ in answers(clause.body) if isinstance(s, ast.Return)]
                    failures += returns
                    site = ctx.diagnostic(
                        SwallowedError(ctx),
                        returns[0] if returns else except_keyword(clause),
                        within=function,
                    )
                    if site is not None:
                        helper.sites.append(site)
    if failures:
        helper.signals = _signals(function, failures)
        helper.poison_alike = _refuses_alike(function, failures)
    helper.through = _returned_callees(chains, function)
    return helper if helper.sites or helper.through or helper.poison_alike else None


def _does_work(body: list[ast.stmt]) -> bool:
    """The try calls something other than a log line: work whose failure matters."""
    return any(
        isinstance(node, ast.Call) and not is_log_call(node)
        for statement in body
        for node in walk(statement)
    )


def _raises(body: list[ast.stmt]) -> bool:
    return any(isinstance(statement, ast.Raise) for statement, _ in answers(body))


def _falsy(node: ast.Return) -> bool:
    value = node.value
    return returns_none(node) or (isinstance(value, ast.Constant) and not value.value)


def _signals(function: FunctionNode, failures: list[ast.Return]) -> bool:
    """Every failure returns a falsy constant and some other return gives a value: a caller
    that looks at the result can tell."""
    if not all(_falsy(failure) and failure.value is not None for failure in failures):
        return False
    returned = [n for n in own_nodes(function) if isinstance(n, ast.Return)]
    return any(not _falsy(node) for node in returned)


def _refuses_alike(function: FunctionNode, failures: list[ast.Return]) -> bool:
    """A check of the arguments' content returns the same falsy constant as a failure does:
    `if not all([order_id, user_id]): return False` beside `except Exception: return False`."""
    refused = {_constant(failure) for failure in failures}
    if len(refused) != 1 or None in refused:
        return False
    derived = _argument_names(function)
    for node in own_nodes(function):
        if isinstance(node, ast.If) and _checks(node.test, derived):
            for statement, _ in answers(node.body):
                if isinstance(statement, ast.Return) and _constant(statement) in refused:
                    return True
    return False


def _constant(node: ast.Return) -> object:
    """The falsy constant a return gives (`False`, `0`), or None for anything else."""
    value = node.value
    return value.value if isinstance(value, ast.Constant) and value.value is not None else None


def _argument_names(function: FunctionNode) -> set[str]:
    """The parameters and the names assigned from them (`order_id = event.get('id')`)."""
    arguments = function.args
    names = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    for node in own_nodes(function):
        if isinstance(node, ast.Assign) and any(
            isinstance(n, ast.Name) and n.id in names for n in walk(node.value)
        ):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


# Calls a check of the payload's content makes.
_CHECKS = frozenset({"all", "any", "len", "isinstance", "bool"})


def _checks(test: ast.expr, derived: set[str]) -> bool:
    """A test of nothing but the arguments' content."""
    names = [n for n in walk(test) if isinstance(n, ast.Name)]
    return bool(names) and all(n.id in derived or n.id in _CHECKS for n in names)


def _returned_callees(chains: Chains, function: FunctionNode) -> list[Callee]:
    """Imported callees whose result the function returns: `return await f()`, or `x = await
    f()` then `return x`."""
    found: list[Callee] = []
    for node in own_nodes(function):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Name):
                value = chains.local.get(value.id) or value
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call):
                chain = chains.of(value.func)
                if chain is not None and chain[1][-1:] != [CALL]:
                    found.append(Callee(target=chain[0], steps=chain[1]))
    return found


# -- the handler's side ----------------------------------------------------------------------------


def _ignored_calls(
    ctx: FileContext, chains: Chains, handler: FunctionNode, reads_status: bool
) -> list[IgnoredCall]:
    if not continues_to_success(handler, reading(ctx, handler, reads_status=reads_status)):
        return []
    found: list[IgnoredCall] = []
    for node in own_nodes(handler):
        if not isinstance(node, ast.Expr):
            continue
        call = node.value.value if isinstance(node.value, ast.Await) else node.value
        if not isinstance(call, ast.Call) or is_log_call(call):
            continue
        chain = chains.of(call.func)
        if chain is None or chain[1][-1:] == [CALL]:
            continue
        callee = Callee(target=chain[0], steps=chain[1])
        message = (
            f"the result of `{call_text(callee.target, callee.steps)}()` is ignored, and it "
            "reports a failure only by that result: the handler answers success and the message "
            "is lost"
        )
        diagnostic = ctx.diagnostic(SwallowedError(ctx), call, message, within=handler)
        if diagnostic is not None:
            # A POST route no declaration in this file routes to: the project decides.
            known = ctx.deferral_target(call, handler) is None
            found.append(
                IgnoredCall(callee=callee, handler=handler.name, known=known, diagnostic=diagnostic)
            )
    return found


def _retried_results(
    ctx: FileContext, chains: Chains, handler: FunctionNode
) -> list[RetriedResult]:
    """RETRY answered where a name holding an imported callee's result is falsy."""
    how = reading(ctx, handler)
    results: dict[str, list[Callee]] = {}
    for node in own_nodes(handler):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            value = value.value if isinstance(value, ast.Await) else value
            if isinstance(target, ast.Name) and isinstance(value, ast.Call):
                chain = chains.of(value.func)
                if chain is not None and chain[1][-1:] != [CALL]:
                    callee = Callee(target=chain[0], steps=chain[1])
                    results.setdefault(target.id, []).append(callee)
    found: list[RetriedResult] = []
    for node in own_nodes(handler):
        if not isinstance(node, ast.If):
            continue
        negated = isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
        tested = node.test.operand if isinstance(node.test, ast.UnaryOp) else node.test
        if not (isinstance(tested, ast.Name) and tested.id in results):
            continue
        for statement, answer in answers(node.body if negated else node.orelse, how):
            if answer == "retry" and isinstance(statement, ast.Return):
                found += _retried(ctx, handler, statement, results[tested.id])
    return found


def _retried(
    ctx: FileContext, handler: FunctionNode, statement: ast.Return, callees: list[Callee]
) -> Iterator[RetriedResult]:
    known = ctx.deferral_target(statement, handler) is None
    for callee in callees:
        message = (
            f"RETRY for a falsy result of `{call_text(callee.target, callee.steps)}()`, which "
            "returns it both for a payload it refuses and for a failure: a malformed message is "
            "redelivered forever"
        )
        diagnostic = ctx.diagnostic(PoisonMessage(ctx), statement, message, within=handler)
        if diagnostic is not None:
            yield RetriedResult(
                callee=callee, handler=handler.name, known=known, diagnostic=diagnostic
            )


# -- the project-level join ------------------------------------------------------------------------


def quiet_findings(
    files: Mapping[str, QuietFacts],
    modules: Mapping[str, str],
    types: Mapping[str, Mapping[str, str]],
    *,
    report_in: set[str],
    delivered: Callable[[str, str], bool],
) -> list[Diagnostic]:
    """DAPR033 at ignored calls of signalling helpers, and in helpers that leave nothing to
    check. `delivered(path, handler)` says whether Dapr delivers to a handler of that file."""
    by_module = ModulePaths({module: path for path, module in modules.items()})
    empty: Mapping[str, str] = {}

    def types_of(path: str) -> Mapping[str, str]:
        return types.get(path, empty)

    def follow(callee: Callee, importer: str) -> tuple[str, QuietHelper] | None:
        found = resolve_call(callee.target, callee.steps, importer, by_module, types_of)
        if found is None or found[0] not in files:
            return None
        helper = files[found[0]].helpers.get(found[1])
        return (found[0], helper) if helper is not None else None

    def signals(helper: QuietHelper, where: str, hops: int) -> bool:
        """The helper (or a helper whose result it returns) signals the failure by value."""
        if helper.signals:
            return True
        return hops < _MAX_HOPS and any(
            (inner := follow(callee, modules[where])) is not None
            and signals(inner[1], inner[0], hops + 1)
            for callee in helper.through
        )

    findings: dict[tuple[str, int, int], Diagnostic] = {}
    for d in _unread_publishes(files, modules, by_module, types_of, report_in):
        findings.setdefault((d.path, d.line, d.column), d)
    for d in _swallowed_sends(files, modules, by_module, types_of, report_in):
        findings.setdefault((d.path, d.line, d.column), d)
    for d in _delivered_invocations(
        files, modules, by_module, types_of, report_in=report_in, delivered=delivered
    ):
        findings.setdefault((d.path, d.line, d.column), d)
    for path in sorted(files):
        for call in files[path].ignored:
            found = follow(call.callee, modules[path])
            if found is None or not (call.known or delivered(path, call.handler)):
                continue
            where, helper = found
            if signals(helper, where, 0):
                if path in report_in:
                    d = call.diagnostic
                    findings.setdefault((path, d.line, d.column), d)
            elif where in report_in:
                for site in helper.sites:
                    message = (
                        f"the failure is caught and forgotten: the delivery handler "
                        f"`{call.handler}` ({path}:{call.diagnostic.line}) goes on to answer "
                        "success, and the message is lost"
                    )
                    d = site.model_copy(update={"message": message})
                    findings.setdefault((where, d.line, d.column), d)
        for retried in files[path].retried:
            found = follow(retried.callee, modules[path])
            if (
                found is not None
                and found[1].poison_alike
                and path in report_in
                and (retried.known or delivered(path, retried.handler))
            ):
                d = retried.diagnostic
                findings.setdefault((path, d.line, d.column), d)
    return list(findings.values())


def _unread_publishes(
    files: Mapping[str, QuietFacts],
    modules: Mapping[str, str],
    by_module: ModulePaths,
    types_of: Callable[[str], Mapping[str, str]],
    report_in: set[str],
) -> Iterator[Diagnostic]:
    """DAPR036 in publish helpers that calls from other modules reach, none of them reading the
    answer (each finding names the first call that throws it away), and at every call from
    another module that throws away the answer of a helper signalling a failed write by it."""
    if not any(facts.publishers or facts.writers for facts in files.values()):
        return
    discarding: dict[tuple[str, str], tuple[str, int]] = {}
    read: set[tuple[str, str]] = set()
    for path in sorted(files):
        for site in files[path].discarded:
            found = resolve_call(
                site.callee.target, site.callee.steps, modules[path], by_module, types_of
            )
            if found is None:
                continue
            discarding.setdefault(found, (path, site.line))
            what = files[found[0]].writers.get(found[1]) if found[0] in files else None
            if what is not None and site.diagnostic is not None and path in report_in:
                steps = site.callee.steps
                name = steps[-1] if steps else site.callee.target.rsplit(".", 1)[-1]
                yield site.diagnostic.model_copy(update={"message": thrown_message(name, what)})
        for callee in files[path].used:
            found = resolve_call(callee.target, callee.steps, modules[path], by_module, types_of)
            if found is not None:
                read.add(found)
    for path in sorted(report_in & files.keys()):
        for publish in files[path].publishers:
            carriers = [(path, key) for key in publish.keys]
            callers = [discarding[c] for c in carriers if c in discarding]
            if not callers or any(c in read for c in carriers):
                continue
            message = (
                f"a failed {publish.what} is answered with a value its callers throw away "
                f"({callers[0][0]}:{callers[0][1]} among them): they go on "
                f"{outcome(publish.what)}"
            )
            yield publish.site.model_copy(update={"message": message})


def _swallowed_sends(
    files: Mapping[str, QuietFacts],
    modules: Mapping[str, str],
    by_module: ModulePaths,
    types_of: Callable[[str], Mapping[str, str]],
    report_in: set[str],
) -> Iterator[Diagnostic]:
    """DAPR036 at an except that only logs the failure of a helper's write through the sidecar
    (the helper, of another module, lets it reach its caller), in a function that answers the
    same whether it went out or not."""
    if not any(facts.senders for facts in files.values()):
        return
    for path in sorted(report_in & files.keys()):
        for guarded in files[path].guarded:
            for callee in guarded.callees:
                found = resolve_call(
                    callee.target, callee.steps, modules[path], by_module, types_of
                )
                what = (
                    files[found[0]].senders.get(found[1]) if found and found[0] in files else None
                )
                if what is None:
                    continue
                name = callee.steps[-1] if callee.steps else callee.target.rsplit(".", 1)[-1]
                message = swallowed_message(what, f"{name}` of `{found[0]}")
                yield guarded.diagnostic.model_copy(update={"message": message})
                break


def _delivered_invocations(
    files: Mapping[str, QuietFacts],
    modules: Mapping[str, str],
    by_module: ModulePaths,
    types_of: Callable[[str], Mapping[str, str]],
    *,
    report_in: set[str],
    delivered: Callable[[str, str], bool],
) -> Iterator[Diagnostic]:
    """DAPR050 and DAPR018 in functions of one module that a delivery handler of another module
    calls."""
    if not any(facts.unreached for facts in files.values()):
        return
    for path in sorted(files):
        for call in files[path].delivery_calls:
            if not (call.known or delivered(path, call.handler)):
                continue
            found = resolve_call(
                call.callee.target, call.callee.steps, modules[path], by_module, types_of
            )
            if found is None or found[0] not in report_in or found[0] not in files:
                continue
            for site in files[found[0]].unreached.get(found[1], []):
                message = (
                    f"{site.message}; it is in `{found[1]}`, which the delivery handler "
                    f"`{call.handler}` ({path}:{call.line}) runs for every delivery"
                )
                yield site.model_copy(update={"message": message})
