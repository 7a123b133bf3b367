"""DAPR001: the synchronous `dapr.clients.DaprClient` becomes `dapr.aio.clients.DaprClient`.

The import moves to `dapr.aio.clients`, each `with DaprClient(...) as client:` becomes `async with`,
and each call on `client` is awaited. That is only mechanical when every use of the client looks
like that, so a finding is auto-fixable only when each `DaprClient(...)` is the one item of a `with`
directly in an `async def` that is not a request handler, and the client is only ever called inside
that block (never stored, passed on, or used from sync code). Anything else is left to a person; so
is a client created per request (DAPR008), which belongs in the lifespan.

Every DaprClient constructor waits for the sidecar with a blocking probe. So that the converted code
does not still freeze the loop there (DAPR015), the function first awaits the same wait without
blocking, `await DaprHealth.wait_for_sidecar()`, after which the constructor's probe answers
at once.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from tools.validate.fixes.base import Fixer
from tools.validate.rules.sync_client import AIO_METHODS

_AIO_MODULE = cst.parse_expression("dapr.aio.clients")
_HEALTH = "dapr.aio.clients.health.DaprHealth"
_HEALTH_IMPORT = cst.parse_statement("from dapr.aio.clients.health import DaprHealth\n")
_WAIT = cst.parse_statement("await DaprHealth.wait_for_sidecar()\n")
_WAITS = m.Call(func=m.Attribute(attr=m.Name("wait_for_sidecar")))


class UseAioClient(Fixer):
    rule_id = "DAPR001"
    # It replaces calls with `await` expressions, so it runs after the fixers that edit calls.
    order = 1

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # ids of the `from dapr.clients import ...` lines to rewrite
        self._imports: set[int] = set()
        self._classes: set[str] = set()  # names the sync client class is bound to
        self._clients: list[str | None] = []  # the `as` names of the `with` blocks being converted
        self._blocks: set[int] = set()
        self._import_health = False  # DaprHealth still needs importing
        self._can_wait = False  # `DaprHealth` is free or already means the aio health check
        self._waiting: list[bool] = []  # per enclosing function: does it already wait?
        self._waited = False  # some function got a wait
        self._anchor: cst.SimpleStatementLine | None = None  # the rewritten import line

    def prepare(self, module: cst.Module) -> None:
        lines = {}
        for line in module.body:
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for statement in line.body:
                if not _imports_sync_client(statement):
                    continue
                if len(line.body) != 1:
                    return  # `import x; from dapr.clients import ...` is left to a person
                lines[id(line)] = [alias for alias in statement.names if _is_client_alias(alias)]
        for line_id, aliases in lines.items():
            chosen = [alias for alias in aliases if self.targeted(alias)]
            if chosen:
                self._imports.add(line_id)
                self._classes.update(_bound_name(alias) for alias in chosen)
        bound = self.ctx.qualname(cst.Name("DaprHealth"))
        self._can_wait = bound in (None, _HEALTH)
        self._import_health = bound is None

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        if id(original_node) not in self._imports:
            return updated_node
        statement = cst.ensure_type(updated_node.body[0], cst.ImportFrom)
        if isinstance(statement.names, cst.ImportStar):  # never chosen by `prepare`
            return updated_node
        moving = [alias for alias in statement.names if _bound_name(alias) in self._classes]
        staying = [alias for alias in statement.names if alias not in moving]
        lines: list[cst.SimpleStatementLine]
        if not staying:
            lines = [updated_node.with_changes(body=[statement.with_changes(module=_AIO_MODULE)])]
        else:
            # Both imports keep the original's layout (parentheses, trailing comma, comments).
            last_comma = statement.names[-1].comma
            staying[-1] = _ending(staying[-1], last_comma)
            moving[-1] = _ending(moving[-1], last_comma)
            kept = updated_node.with_changes(body=[statement.with_changes(names=staying)])
            moved = cst.SimpleStatementLine(
                body=[statement.with_changes(module=_AIO_MODULE, names=moving)]
            )
            lines = [kept, moved]
        self._anchor = lines[-1]
        return cst.FlattenSentinel(lines) if len(lines) > 1 else lines[0]

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        # Known only now: whether some function got a wait, so that DaprHealth needs importing.
        if not (self._import_health and self._waited and self._anchor is not None):
            return updated_node
        body = list(updated_node.body)
        position = next(i for i, line in enumerate(body) if line is self._anchor)
        body.insert(position + 1, _HEALTH_IMPORT)
        return updated_node.with_changes(body=body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._classes:
            self._waiting.append(bool(m.findall(node, _WAITS)))

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if self._classes:
            self._waiting.pop()
        return updated_node

    def visit_With(self, node: cst.With) -> None:
        if not self._classes or len(node.items) != 1:
            return
        item = node.items[0]
        call = item.item
        if (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Name)
            and call.func.value in self._classes
        ):
            target = item.asname.name if item.asname is not None else None
            self._clients.append(target.value if isinstance(target, cst.Name) else None)
            self._blocks.add(id(node))

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.With | cst.FlattenSentinel[cst.BaseStatement]:
        if id(original_node) not in self._blocks:
            return updated_node
        self._clients.pop()
        converted = updated_node.with_changes(asynchronous=cst.Asynchronous())
        if not self._can_wait or not self._waiting or self._waiting[-1]:
            return converted
        self._waiting[-1] = True  # one wait per function is enough
        self._waited = True
        # Comments above the `with` stay above the wait that now opens the block.
        wait = _WAIT.with_changes(leading_lines=updated_node.leading_lines)
        return cst.FlattenSentinel([wait, converted.with_changes(leading_lines=())])

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call | cst.Await:
        if isinstance(updated_node.func, cst.Await):
            updated_node = updated_node.with_changes(func=_parenthesized(updated_node.func))
        func = updated_node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in self._clients
            and func.attr.value in AIO_METHODS
        ):
            return cst.Await(expression=updated_node)
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        if isinstance(updated_node.value, cst.Await):
            return updated_node.with_changes(value=_parenthesized(updated_node.value))
        return updated_node

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.Subscript:
        if isinstance(updated_node.value, cst.Await):
            return updated_node.with_changes(value=_parenthesized(updated_node.value))
        return updated_node


def _imports_sync_client(statement: cst.BaseSmallStatement) -> bool:
    return (
        isinstance(statement, cst.ImportFrom)
        and not statement.relative
        and statement.module is not None
        and cst.helpers.get_full_name_for_node(statement.module) == "dapr.clients"
        and not isinstance(statement.names, cst.ImportStar)
        and any(_is_client_alias(alias) for alias in statement.names)
    )


def _is_client_alias(alias: cst.ImportAlias) -> bool:
    return isinstance(alias.name, cst.Name) and alias.name.value == "DaprClient"


def _bound_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return cst.helpers.get_full_name_for_node(alias.name) or ""


def _ending(alias: cst.ImportAlias, last_comma: cst.Comma | cst.MaybeSentinel) -> cst.ImportAlias:
    """`alias` as an import's last name: the original last comma, unless its own holds a comment."""
    own = alias.comma
    if isinstance(own, cst.Comma) and m.findall(own, m.Comment()):
        return alias
    return alias.with_changes(comma=last_comma)


def _parenthesized(node: cst.Await) -> cst.Await:
    """`(await call())`, needed where the result is used further (`.attr`, `[key]`, `(...)`)."""
    if node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
