"""Field type expressions of the spec (`str`, `list[Tag]`, `optional[datetime]`, `Priority?`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

SCALARS: dict[str, str] = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "datetime": "datetime",
    "date": "date",
    "uuid": "UUID",
}
"""Spec scalar name -> Python annotation used in generated models."""

_WRAPPED = re.compile(r"^(list|optional)\[(.+)\]$")


@dataclass(frozen=True)
class TypeRef:
    """A parsed field type: a scalar or named enum/model, maybe inside list[...] and/or optional."""

    name: str
    is_list: bool = False
    optional: bool = False
    item_optional: bool = False

    @property
    def is_scalar(self) -> bool:
        return self.name in SCALARS

    def annotation(self) -> str:
        """The Python annotation for this type in generated code."""
        inner = SCALARS.get(self.name, self.name)
        if self.item_optional:
            inner = f"{inner} | None"
        if self.is_list:
            inner = f"list[{inner}]"
        return f"{inner} | None" if self.optional else inner


class TypeSyntaxError(ValueError):
    """The type expression is not well formed (the message says what is expected)."""


def parse_type(expression: str) -> TypeRef:
    """Parse a type expression; names are not resolved here (see the spec's cross-checks)."""
    text = expression.strip()
    if not text:
        raise TypeSyntaxError(
            "empty type; write a scalar (str, int, ...), an enum or model name, list[T] or T?"
        )
    if text.endswith("?"):
        return _optional(parse_type(text[:-1]))
    wrapped = _WRAPPED.match(text)
    if wrapped:
        kind, inner_text = wrapped.groups()
        inner = parse_type(inner_text)
        if kind == "optional":
            return _optional(inner)
        if inner.is_list:
            raise TypeSyntaxError(
                f"'{text}': lists of lists are not supported; wrap the inner list in a model"
            )
        return TypeRef(inner.name, is_list=True, item_optional=inner.optional)
    if not text.isidentifier():
        raise TypeSyntaxError(
            f"'{text}' is not a type; write a scalar (str, int, ...), an enum or model name, "
            "list[T] or T?"
        )
    return TypeRef(text)


def _optional(inner: TypeRef) -> TypeRef:
    if inner.optional:
        raise TypeSyntaxError("a type is optional once; drop the second '?' or optional[...]")
    return TypeRef(
        inner.name, is_list=inner.is_list, optional=True, item_optional=inner.item_optional
    )
