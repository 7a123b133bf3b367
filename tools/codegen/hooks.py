"""Hook modules: the user-owned extension point of a generated service (the generation gap).

Each handler of a spec (a subscription, a routing rule, a job, an input binding) calls
`<package>/handlers/<handler>.py`'s `async def handle(event, context)`. daprdev writes that module
once and never again; what it can still do is tell, from the module's syntax tree, when the spec
moved away from it: the handler is gone, `handle` lost its shape, its payload type changed, it
reads a field the payload no longer has, or it uses what the generated `Context` no longer offers
(a store, secret, call or query filter the spec dropped).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class ContextSurface:
    """What a hook reaches through `context` in the generated code, read from its classes."""

    names: dict[str, frozenset[str]] = field(default_factory=dict)
    """Each attribute path (`""`: the context, `state`, `state.claims`) and the names under it."""
    keywords: dict[str, frozenset[str] | None] = field(default_factory=dict)
    """Each method's path (`state.claims.query`) and the arguments it takes by name (None: any)."""


def context_surface(rendered: Mapping[str, str], package: str) -> ContextSurface:
    """The `Context` of the rendered service (`<package>/hooks.py`) and every class of the package
    it leads to, as attribute paths a hook may use."""
    classes: dict[str, ast.ClassDef] = {}
    for path, text in sorted(rendered.items()):
        if (
            path.startswith(f"{package}/")
            and path.endswith(".py")
            and f"/{HOOKS_FOLDER}/" not in path
        ):
            for node in ast.parse(text).body:
                if isinstance(node, ast.ClassDef):
                    classes.setdefault(node.name, node)
    surface = ContextSurface()
    _visit(surface, classes, "", _CONTEXT, frozenset())
    return surface


def _visit(
    surface: ContextSurface,
    classes: dict[str, ast.ClassDef],
    path: str,
    name: str,
    seen: frozenset[str],
) -> None:
    members: dict[str, str | None] = {}
    for cls in _lineage(classes, name):
        for node in cls.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                members.setdefault(node.target.id, _class_name(node.annotation))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                members.setdefault(node.name, None)
                if not node.name.startswith("_"):
                    surface.keywords.setdefault(_joined(path, node.name), _keywords(node))
    public = {member: kind for member, kind in members.items() if not member.startswith("_")}
    surface.names[path] = frozenset(public)
    for member, kind in public.items():
        if kind in classes and kind not in seen:
            _visit(surface, classes, _joined(path, member), kind, seen | {name})


def _lineage(classes: dict[str, ast.ClassDef], name: str) -> Iterator[ast.ClassDef]:
    """The class `name` and its bases among `classes`, nearest first."""
    cls = classes.get(name)
    while cls is not None:
        yield cls
        bases = [b for b in map(_class_name, cls.bases) if b in classes and b != cls.name]
        cls = classes[bases[0]] if bases else None


def _class_name(annotation: ast.expr) -> str | None:
    """`X`, `module.X`, `X[T]` and `'X'` name the class X."""
    if isinstance(annotation, ast.Subscript):
        return _class_name(annotation.value)
    return _type_name(annotation)


def _keywords(function: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str] | None:
    args = function.args
    if args.kwarg is not None:
        return None
    return frozenset(a.arg for a in [*args.args, *args.kwonlyargs] if a.arg != "self")


def _joined(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


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


def mismatch(hook: Hook, text: str, surface: ContextSurface) -> str | None:
    """Why the hook module `text` no longer fits what the spec now calls it with and what its
    `context` offers (`surface`), or None."""
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
    positional = [*function.args.posonlyargs, *function.args.args]
    if len(positional) >= 2:
        problems += _context_problems(function, positional[1].arg, surface)
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


def _context_problems(
    function: ast.AsyncFunctionDef, name: str, surface: ContextSurface
) -> Iterator[str]:
    """What `handle` uses through its context parameter `name` that the context no longer has:
    an attribute under a known path, or a keyword a known method no longer takes."""
    gone: set[str] = set()
    refused: set[tuple[str, str]] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and (chain := _chain(node, name)):
            parent = ".".join(chain[:-1])
            if parent in surface.names and chain[-1] not in surface.names[parent]:
                gone.add(".".join(chain))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = _chain(node.func, name)
            allowed = surface.keywords.get(".".join(chain)) if chain else None
            if allowed is not None:
                refused |= {
                    (".".join(chain), kw.arg)
                    for kw in node.keywords
                    if kw.arg is not None and kw.arg not in allowed
                }
    if gone:
        used = ", ".join(f"`{name}.{path}`" for path in sorted(gone))
        yield f"it uses {used}, which the spec's `{_CONTEXT}` no longer offers"
    for path, keyword in sorted(refused):
        yield f"it calls `{name}.{path}` with `{keyword}=`, which it no longer takes"


def _chain(node: ast.Attribute, name: str) -> list[str]:
    """`context.state.claims` -> ['state', 'claims'] when rooted at the name `name`, else []."""
    chain: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        chain.insert(0, current.attr)
        current = current.value
    return chain if isinstance(current, ast.Name) and current.id == name else []
