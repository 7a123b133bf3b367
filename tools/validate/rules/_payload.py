"""What the handler rules ask about parameters and payloads: a Pydantic model, a raw dict, ...?"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Literal

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.context import FileContext

PayloadKind = Literal["model", "untyped", "other"]

# Parameters FastAPI fills from elsewhere than the body.
_INJECTED_DEFAULTS = frozenset(
    {"Depends", "Header", "Query", "Path", "Cookie", "Security", "Form", "File", "BackgroundTasks"}
)
_FRAMEWORK_MODULES = (
    "fastapi",
    "starlette",
    "typing",
    "collections",
    "dapr",
    "builtins",
    "datetime",
    "uuid",
    # The CloudEvents SDK's event classes are plain classes, not Pydantic models (only those
    # of cloudevents.pydantic are): FastAPI validates nothing with them.
    "cloudevents.http",
    "cloudevents.sdk",
    "cloudevents.abstract",
    "cloudevents.core",
)
_UNTYPED = frozenset(
    {"dict", "Dict", "Any", "Mapping", "MutableMapping", "object", "Json", "JsonValue"}
)
VALIDATING_METHODS = frozenset(
    {
        "model_validate",
        "model_validate_json",
        "validate_python",
        "validate_json",
        "parse_obj",
        "parse_raw",
    }
)


_DEPENDENCY_SUFFIXES = ("Dep", "Deps", "Dependency")


def payload_parameters(
    ctx: FileContext, function: FunctionNode
) -> Iterator[tuple[ast.arg, PayloadKind]]:
    """Parameters FastAPI fills from the request body, with what their annotation says they hold.

    A dapr.ext.grpc.App callback has none: that App hands it a `v1.Event`, a
    `SubscriptionMessage` or a `BindingRequest`, whatever its annotation says."""
    if ctx.grpc_delivery(function) is not None:
        return
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    defaults += arguments.defaults
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
    ]
    for parameter, default in pairs:
        if parameter.arg in ("self", "cls") or parameter.annotation is None:
            continue
        if _is_injected(default):
            continue
        kind = classify(ctx, parameter.annotation)
        if kind != "other" or not _is_framework_type(ctx, parameter.annotation):
            yield parameter, kind


def classify(ctx: FileContext, annotation: ast.expr) -> PayloadKind:
    """`model` for a Pydantic model (even generic), `untyped` for dict/Any/Mapping, else `other`."""
    if isinstance(annotation, ast.Subscript):
        base = classify(ctx, annotation.value)
        if base == "untyped":
            return "untyped"
        if base == "model":
            return "model"
        # Annotated[Model, ...] and Optional[Model] carry the model inside.
        inner = (
            annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        )
        return classify(ctx, inner[0]) if inner else "other"
    if isinstance(annotation, ast.BinOp):  # Model | None
        left = classify(ctx, annotation.left)
        return left if left != "other" else classify(ctx, annotation.right)
    name = (
        annotation.attr
        if isinstance(annotation, ast.Attribute)
        else getattr(annotation, "id", None)
    )
    if name is None:
        return "other"
    if name in _UNTYPED:
        return "untyped"
    if isinstance(annotation, ast.Name) and name in ctx.models:
        return "model"
    qualname = ctx.qualname(annotation)
    if name.endswith(_DEPENDENCY_SUFFIXES):
        # FastAPI's idiom for `Annotated[Session, Depends(...)]` aliases (`SessionDep`).
        return "other"
    if qualname is not None and not qualname.startswith(_FRAMEWORK_MODULES) and name[:1].isupper():
        return "model"  # imported from the project (e.g. `from .models import OrderCreated`)
    return "other"


def validates_with_model(
    ctx: FileContext, function: FunctionNode, helpers: Mapping[str, FunctionNode] | None = None
) -> bool:
    """True when the handler turns raw data into a model: `Model.model_validate(...)`,
    `TypeAdapter(...).validate_python(...)`, `parse_obj_as(Model, ...)` or `Model(**data)` - or
    hands it to one of `helpers` (the file's functions and methods, by name) that does so itself."""
    if _validates_itself(ctx, function):
        return True
    for node in own_nodes(function):
        if not isinstance(node, ast.Call) or not (node.args or node.keywords):
            continue
        helper = (helpers or {}).get(_callee_name(node.func))
        if helper is not None and helper is not function and _validates_itself(ctx, helper):
            return True
    return False


def _validates_itself(ctx: FileContext, function: FunctionNode) -> bool:
    for node in own_nodes(function):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in VALIDATING_METHODS:
            return True
        if ctx.qualname(func) == "pydantic.parse_obj_as":
            return True
        # Constructing a model validates its arguments just as model_validate does.
        if (node.args or node.keywords) and classify(ctx, func) == "model":
            return True
    return False


def _callee_name(func: ast.expr) -> str:
    """`helper` for `helper(...)` and `self.helper(...)`; "" for any other callee."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.attr if func.value.id in ("self", "cls") else ""
    return ""


def _is_injected(default: ast.expr | None) -> bool:
    if not isinstance(default, ast.Call):
        return False
    func = default.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in _INJECTED_DEFAULTS


def _is_framework_type(ctx: FileContext, annotation: ast.expr) -> bool:
    qualname = ctx.qualname(annotation) or ""
    return qualname.startswith(_FRAMEWORK_MODULES)
