"""The parameter lists of the Dapr SDK's public calls, derived from the installed SDK.

The gate must not import the SDK (user projects may not have it, or another version), so the
table is committed as data, `sdk_signatures.json`, and DAPR023 reads it. Regenerate it after
upgrading `dapr`:

    .venv/bin/python -m tools.validate.rules._sdk_table

tests/unit/validate/test_sdk_signatures.py derives it again and fails when it has drifted.
`dapr.ext.grpc` needs the optional `cloudevents` package to import, so its `App` is read from the
source file instead; it is defined in that one module, without base classes.
"""

from __future__ import annotations

import ast
import inspect
import json
from collections import abc
from importlib import import_module
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

TABLE = Path(__file__).with_name("sdk_signatures.json")
# Each checked class under its public import path; the rule maps aliases onto these.
IMPORTED = (
    "dapr.clients.DaprClient",
    "dapr.aio.clients.DaprClient",
    "dapr.clients.Job",
    "dapr.clients.grpc._request.TransactionalStateOperation",
    "dapr.clients.grpc._state.StateItem",
    "dapr.clients.grpc._state.StateOptions",
    "dapr.ext.workflow.WorkflowRuntime",
    "dapr.ext.workflow.DaprWorkflowContext",
)
FASTAPI_APP = "dapr.ext.fastapi.DaprApp"
GRPC_APP = "dapr.ext.grpc.App"


def derive() -> dict[str, Any]:
    classes: dict[str, dict[str, Any]] = {}
    for path in (*IMPORTED, FASTAPI_APP):
        module, _, name = path.rpartition(".")
        classes[path] = _inspect_class(getattr(import_module(module), name))
    classes[GRPC_APP] = _read_grpc_app()
    return {"sdk": f"dapr {version('dapr')}", "classes": classes, "modules": _read_modules()}


def _inspect_class(cls: type) -> dict[str, Any]:
    methods: dict[str, Any] = {}
    for name in sorted(dir(cls)):
        # The context-manager entries tell `with` from `async with` (the sync client has only
        # one, the aio client only the other).
        if name.startswith("_") and name not in ("__init__", "__enter__", "__aenter__"):
            continue
        attribute = inspect.getattr_static(cls, name)
        bound_first = not isinstance(attribute, staticmethod)
        function = getattr(cls, name)
        if not callable(function) or isinstance(attribute, property):
            continue
        parameters = list(inspect.signature(function).parameters.values())
        shape = _shape(parameters[1:] if bound_first else parameters)
        shape["awaitable"] = inspect.iscoroutinefunction(function)
        shape["literals"] = _literals(function)
        methods[name] = shape
    return methods


def _literals(function: Any) -> dict[str, list[str]]:
    """For each parameter whose annotation rules some Python literals out, the literal kinds it
    accepts (`data: Union[bytes, str, Message]` -> bytes, str: a dict display is wrong there)."""
    try:
        hints = get_type_hints(function)
    except Exception:  # an annotation the SDK cannot resolve itself: nothing is known
        return {}
    found: dict[str, list[str]] = {}
    for name, hint in hints.items():
        accepted = _accepted(hint)
        if name != "return" and accepted != LITERAL_KINDS:
            found[name] = sorted(accepted)
    return found


def _accepted(hint: Any) -> frozenset[str]:
    """The literal kinds a value of type `hint` may be written as."""
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        return frozenset().union(*(_accepted(arg) for arg in get_args(hint)))
    if origin is Literal:
        values = get_args(hint)
        return frozenset(k for k, t in _LITERAL_TYPES.items() if any(type(v) is t for v in values))
    cls = origin or hint
    if hint is type(None):
        return frozenset({"None"})
    if not isinstance(cls, type) or cls is object:
        return LITERAL_KINDS  # Any, a TypeVar, a forward reference: anything may do
    if cls in (abc.Iterable, abc.Collection, abc.Container):
        return LITERAL_KINDS
    accepted = (cls, *_PROMOTED.get(cls, ()))
    return frozenset(kind for kind, types in _LITERAL_TYPES.items() if issubclass(types, accepted))


# What each literal kind is an instance of: `{...}` is a dict, so it fits `Mapping` and `dict`.
_LITERAL_TYPES: dict[str, type] = {
    "bool": bool,
    "bytes": bytes,
    "dict": dict,
    "float": float,
    "int": int,
    "list": list,
    "None": type(None),
    "set": set,
    "str": str,
    "tuple": tuple,
}
LITERAL_KINDS = frozenset(_LITERAL_TYPES)
# PEP 484's numeric tower: where a float is annotated an int is accepted too (`wait(10)`), and
# both where a complex is.
_PROMOTED: dict[type, tuple[type, ...]] = {float: (int,), complex: (int, float)}


def _read_modules() -> dict[str, list[str] | None]:
    """The names each SDK module binds, so that `from dapr.x import name` can be checked;
    None for a module whose names cannot be read statically (a star import, `__getattr__`).
    Generated protobuf modules and the vendored durabletask internals are left out."""
    root = _package_dir("dapr")
    modules: dict[str, list[str] | None] = {}
    for source in sorted(root.rglob("*.py")):
        parts = source.relative_to(root.parent).with_suffix("").parts
        if "proto" in parts or "_durabletask" in parts:
            continue
        package = source.name == "__init__.py"
        name = ".".join(parts[:-1] if package else parts)
        names = _bound_names(ast.parse(source.read_text(encoding="utf-8")))
        if names is not None and package:
            names |= {
                child.stem if child.suffix else child.name
                for child in source.parent.iterdir()
                if child.name != "__init__.py"
                and (child.suffix == ".py" or (child / "__init__.py").exists())
            }
        modules[name] = sorted(n for n in names if not n.startswith("_")) if names else None
    return modules


def _bound_names(tree: ast.Module) -> set[str] | None:
    """Every name a module binds at its top level, also under `if`/`try`; None when unknowable."""
    names: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == "__getattr__":
                return None
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.partition(".")[0])
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.If | ast.Try | ast.TryStar | ast.With):
            pending.extend(node.body + getattr(node, "orelse", []))
            pending.extend(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                pending.extend(handler.body)
    return names


def _shape(parameters: list[inspect.Parameter]) -> dict[str, Any]:
    kinds = inspect.Parameter
    positional = [
        p for p in parameters if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
    ]
    return {
        "positional": [p.name for p in positional],
        "keyword_only": [p.name for p in parameters if p.kind is kinds.KEYWORD_ONLY],
        "required": [
            p.name
            for p in parameters
            if p.default is kinds.empty and p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD)
        ],
        "var_positional": any(p.kind is kinds.VAR_POSITIONAL for p in parameters),
        "var_keyword": any(p.kind is kinds.VAR_KEYWORD for p in parameters),
    }


def _read_grpc_app() -> dict[str, Any]:
    source = _package_dir("dapr.ext") / "grpc" / "app.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    [app] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "App"]
    methods: dict[str, Any] = {}
    for node in app.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        if node.name.startswith("_") and node.name != "__init__":
            continue
        arguments = node.args
        positional = [*arguments.posonlyargs, *arguments.args][1:]  # without self
        required = positional[: len(positional) - len(arguments.defaults)]
        methods[node.name] = {
            "positional": [a.arg for a in positional],
            "keyword_only": [a.arg for a in arguments.kwonlyargs],
            "required": [a.arg for a in required]
            + [
                a.arg
                for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
                if d is None
            ],
            "var_positional": arguments.vararg is not None,
            "var_keyword": arguments.kwarg is not None,
            "awaitable": False,  # read from a `def`, not an `async def`
            "literals": {},
        }
    return dict(sorted(methods.items()))


def _package_dir(name: str) -> Path:
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=2, sort_keys=True) + "\n"


def main() -> None:
    TABLE.write_text(render(derive()), encoding="utf-8")
    print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
