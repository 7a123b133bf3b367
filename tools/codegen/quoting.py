"""Spec text as literals of the languages the templates write: Python, YAML and TOML.

Every free-text value of a spec (descriptions, metadata, operations, CEL rules) reaches a generated
file through one of these filters, never between hand-typed quotes, so a quote, a backslash, a
newline, a `#` or non-ASCII text cannot end a literal early or change what the file means.
"""

from __future__ import annotations

import json
import math

import yaml


def pystr(value: str) -> str:
    """A Python string literal, double-quoted like ruff format writes it."""
    if '"' in value and "'" not in value:
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def pydoc(value: str) -> str:
    """A docstring literal: the text between triple quotes when it can stand there as is (with the
    space ruff format puts before a closing quote), otherwise the same text as a plain literal."""
    if value.isprintable() and "\\" not in value and '"""' not in value and value == value.strip():
        head = " " if value.startswith('"') else ""
        tail = " " if value.endswith('"') else ""
        return f'"""{head}{value}{tail}"""'
    return pystr(value)


def yamlstr(value: str, *, plain: bool = False) -> str:
    """A YAML scalar on one line, written by the YAML emitter: double-quoted, or with `plain` the
    emitter's own choice (unquoted where that reads back as the same string in a mapping)."""
    if plain:
        chosen = yaml.safe_dump(str(value), allow_unicode=True, width=math.inf)
        chosen = chosen.removesuffix("\n...\n").removesuffix("\n")
        # A line break of YAML's own (NEL, LS, PS) can stand raw in the emitter's choice and read
        # back as a space inside a template's line; such text is written escaped instead.
        if chosen.isprintable() and yaml.safe_load(f"key: {chosen}\n") == {"key": value}:
            return chosen
    dumped = yaml.safe_dump(str(value), default_style='"', allow_unicode=True, width=math.inf)
    return dumped.rstrip("\n")


# TOML basic strings: these escapes by name, every other control character as \uXXXX
# (https://toml.io/en/v1.0.0#string); everything else, non-ASCII included, stays as it is.
_TOML_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_TOML_ESCAPES |= {'"': '\\"', "\\": "\\\\"}


def tomlstr(value: str) -> str:
    """A TOML basic string."""
    out = []
    for char in str(value):
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def one_line(value: str) -> str:
    """Whitespace runs (newlines included) as single spaces: for one-line fields and comments."""
    return " ".join(value.split())
