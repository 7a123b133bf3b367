"""Pydantic models as the delivery rules see them: their fields, which of them are required, and
whether a model is shaped like the CloudEvent envelope Dapr delivers."""

from __future__ import annotations

import ast

from tools.validate.astutil import keyword
from tools.validate.rules._answers import last_name

# Models shaped like the CloudEvent itself, which may be validated whole.
ENVELOPE_FIELDS = frozenset({"data", "data_base64", "specversion"})
# Envelope attributes a delivery may lack: optional in the CloudEvents spec, or added by daprd only
# to the envelopes it builds (a raw-payload delivery has no trace fields, a publisher's own
# CloudEvent keeps its own attributes). `id`, `source`, `type`, `specversion`, `topic` and
# `pubsubname` are in every delivery.
OPTIONAL_ATTRIBUTES = frozenset(
    {
        "datacontenttype",
        "dataschema",
        "subject",
        "time",
        "expiration",
        "traceid",
        "traceparent",
        "tracestate",
        "data_base64",
    }
)
_VALIDATION_ERRORS = frozenset({"RequestValidationError", "ValidationError"})


class ModelShapes:
    """The fields of the classes a file declares, in declaration order (bases come first)."""

    def __init__(self) -> None:
        self._fields: dict[str, set[str]] = {}
        self._required: dict[str, set[str]] = {}

    def note(self, node: ast.ClassDef) -> None:
        own = {
            statement.target.id: _is_required(statement.value)
            for statement in node.body
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
        }
        fields = set(own)
        required = {name for name, needed in own.items() if needed}
        for base in node.bases:
            if isinstance(base, ast.Name):
                fields |= self._fields.get(base.id, set())
                # A field the class redeclares with a default is no longer required.
                required |= self._required.get(base.id, set()) - own.keys()
        self._fields[node.name] = fields
        self._required[node.name] = required

    def fields(self, name: str) -> set[str] | None:
        """The fields of a class of this file; None for a class declared elsewhere."""
        return self._fields.get(name)

    def lacking_attributes(self, name: str) -> set[str]:
        """The optional envelope attributes an envelope-shaped model requires."""
        if not self._fields.get(name, set()) & ENVELOPE_FIELDS:
            return set()
        return self._required.get(name, set()) & OPTIONAL_ATTRIBUTES


def answers_validation_errors(call: ast.Call) -> bool:
    """`app.exception_handler(RequestValidationError)` or `FastAPI(exception_handlers={...})`:
    the app chooses the answer to a body that does not validate, instead of FastAPI's 422."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in ("exception_handler", "add_exception_handler")
        and call.args
        and last_name(call.args[0]) in _VALIDATION_ERRORS
    ):
        return True
    handlers = keyword(call, "exception_handlers")
    return isinstance(handlers, ast.Dict) and any(
        last_name(key) in _VALIDATION_ERRORS for key in handlers.keys if key
    )


def _is_required(default: ast.expr | None) -> bool:
    """A model field without a default: none given, or `Field(...)` / `Field()` without one."""
    if default is None:
        return True
    if not (isinstance(default, ast.Call) and last_name(default.func) == "Field"):
        return False
    first = default.args[0] if default.args else None
    if isinstance(first, ast.Constant) and first.value is Ellipsis:
        return True
    given = {k.arg for k in default.keywords}
    return first is None and not given & {"default", "default_factory"}
