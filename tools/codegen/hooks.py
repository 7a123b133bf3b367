"""Hook modules: the user-owned extension point of a generated service (the generation gap).

Each handler of a spec (a subscription, a routing rule, a job, an input binding) calls
`<package>/handlers/<handler>.py`'s `async def handle(event, context)`. daprdev writes that module
once and never again; what it can still do is tell, from the module's syntax tree, when the spec
moved away from it: the handler is gone, `handle` lost its shape, its payload type changed, or it
reads a field the payload no longer has.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from tools.specs.model import ServiceSpec
from tools.specs.names import package_name

HOOKS_FOLDER = "handlers"
HOOK_FUNCTION = "handle"
HOOK_TEMPLATE = "package/handlers/hook.py.j2"
_CONTEXT = "Context"
_MODEL_ATTRIBUTES = frozenset(dir(BaseModel))  # model_dump, model_copy ... are no fields


@dataclass(frozen=True)
class Hook:
    """What the generated code asks of one hook module (path relative to the output folder)."""

    path: str
    handler: str  # the handler in words, e.g. "A TaskCreated arrived on 'task-created'."
    event: str  # the payload type `handle` is called with ("str": a trigger without data)
    fields: frozenset[str] | None  # the payload model's fields; None for "str"


def hook_path(package: str, func: str) -> str:
    return f"{package}/{HOOKS_FOLDER}/{func}.py"


def hooks_of(spec: ServiceSpec, effects: list[Any]) -> dict[str, Hook]:
    """The hook each effect of the template context calls, by path."""
    package = package_name(spec.service.app_id)
    types = spec.payload_types()
    hooks = {}
    for effect in effects:
        model = types.get(effect.param_type)
        path = hook_path(package, effect.func)
        hooks[path] = Hook(
            path=path,
            handler=effect.doc,
            event=effect.param_type,
            fields=None if model is None else frozenset(model.fields),
        )
    return hooks


REMOVED = (
    "no handler of the spec calls it any more (its handler was removed or renamed): its logic "
    "no longer runs; move it to another hook or delete the file"
)


def mismatch(hook: Hook, text: str) -> str | None:
    """Why the hook module `text` no longer fits what the spec now calls it with, or None."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        return f"does not parse (line {error.lineno}: {error.msg}), so the service cannot import it"
    function = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == HOOK_FUNCTION
        ),
        None,
    )
    wanted = f"`async def {HOOK_FUNCTION}(event: {hook.event}, context: {_CONTEXT}) -> None`"
    if function is None:
        return f"defines no `{HOOK_FUNCTION}`; the generated code calls {wanted}"
    if not isinstance(function, ast.AsyncFunctionDef):
        return f"`{HOOK_FUNCTION}` is not async; the generated code awaits {wanted}"
    problems = list(_signature_problems(function, hook))
    if problems:
        return "; ".join(problems) + f"; the generated code calls {wanted}"
    return None


def _signature_problems(function: ast.AsyncFunctionDef, hook: Hook) -> Iterator[str]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    if (len(positional) < 2 and args.vararg is None) or required > 2:
        yield f"`{HOOK_FUNCTION}` does not take exactly (event, context)"
        return
    if any(default is None for default in args.kw_defaults):
        yield f"`{HOOK_FUNCTION}` has a keyword-only parameter without a default"
    if len(positional) < 2:
        return  # `*args`: nothing named to check
    event, context = positional[:2]
    taken = _type_name(event.annotation)
    if taken is not None and taken != hook.event:
        yield f"it takes `{taken}`, the spec now hands it `{hook.event}`"
    given = _type_name(context.annotation)
    if given is not None and given != _CONTEXT:
        yield f"its context is annotated `{given}`, not `{_CONTEXT}`"
    if hook.fields is not None and (taken is None or taken == hook.event):
        gone = sorted(_fields_read(function, event.arg) - hook.fields - _MODEL_ATTRIBUTES)
        if gone:
            names = ", ".join(f"`{event.arg}.{name}`" for name in gone)
            yield f"it reads {names}, which `{hook.event}` no longer has"


def _type_name(annotation: ast.expr | None) -> str | None:
    """The last name of an annotation (`models.X`, `'X'` and `X` are X); None when absent."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.strip().rsplit(".", 1)[-1]
    if isinstance(annotation, ast.Attribute):
        return annotation.attr
    return ast.unparse(annotation)


def _fields_read(function: ast.AsyncFunctionDef, name: str) -> set[str]:
    """Attributes read directly off the parameter `name` (`event.x`) in the function's body."""
    return {
        node.attr
        for node in ast.walk(function)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == name
    }
