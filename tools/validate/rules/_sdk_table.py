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
from importlib import import_module
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("sdk_signatures.json")
# Each checked class under its public import path; the rule maps aliases onto these.
IMPORTED = ("dapr.clients.DaprClient", "dapr.aio.clients.DaprClient", "dapr.clients.Job")
FASTAPI_APP = "dapr.ext.fastapi.DaprApp"
GRPC_APP = "dapr.ext.grpc.App"


def derive() -> dict[str, Any]:
    classes: dict[str, dict[str, Any]] = {}
    for path in (*IMPORTED, FASTAPI_APP):
        module, _, name = path.rpartition(".")
        classes[path] = _inspect_class(getattr(import_module(module), name))
    classes[GRPC_APP] = _read_grpc_app()
    return {"sdk": f"dapr {version('dapr')}", "classes": classes}


def _inspect_class(cls: type) -> dict[str, Any]:
    methods: dict[str, Any] = {}
    for name in sorted(dir(cls)):
        if name.startswith("_") and name != "__init__":
            continue
        attribute = inspect.getattr_static(cls, name)
        bound_first = not isinstance(attribute, staticmethod)
        function = getattr(cls, name)
        if not callable(function) or isinstance(attribute, property):
            continue
        parameters = list(inspect.signature(function).parameters.values())
        methods[name] = _shape(parameters[1:] if bound_first else parameters)
    return methods


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
    spec = find_spec("dapr.ext")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("dapr.ext is not installed")
    source = Path(next(iter(spec.submodule_search_locations)), "grpc", "app.py")
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
        }
    return dict(sorted(methods.items()))


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=2, sort_keys=True) + "\n"


def main() -> None:
    TABLE.write_text(render(derive()), encoding="utf-8")
    print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
