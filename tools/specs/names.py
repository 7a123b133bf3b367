"""Python names derived from spec names: one derivation, used by the checks and the generator alike.

A spec name may start with a digit, be a Python keyword, carry non-ASCII text or shadow a module
the generated service imports; each function here returns a valid, ASCII, non-shadowing name.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata

# What a generated service imports besides the standard library (and what those bring along):
# a package of the service named like one of these would shadow it.
_IMPORTED = frozenset(
    {
        "anyio", "annotated_types", "certifi", "click", "dapr", "fastapi", "google", "grpc",
        "h11", "httpcore", "httpx", "idna", "iniconfig", "packaging", "pluggy", "pydantic",
        "pydantic_core", "pytest", "sniffio", "starlette", "tests", "typing_extensions",
        "typing_inspection", "uvicorn",
    }
)  # fmt: skip

# The standard library of every Python the service may run on, not only the one generating it, so
# the package name does not depend on where `generate` ran (3.12 and 3.13 removed these).
_STDLIB = frozenset(sys.stdlib_module_names) | {
    "aifc", "asynchat", "asyncore", "audioop", "cgi", "cgitb", "chunk", "crypt", "distutils",
    "imghdr", "imp", "lib2to3", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes",
    "smtpd", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib", "annotationlib",
    "compression",
}  # fmt: skip


def snake(name: str) -> str:
    """`TaskCreated` / `task-created` / `sweep.log` -> `task_created`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def ascii_words(value: str) -> str:
    """`value` in ASCII letters, digits and `_`: accents dropped (`café` -> `cafe`), compatibility
    forms decomposed (`m³` -> `m3`), any other character as its code point (`µ` -> `U03BC`)."""
    out = []
    for char in unicodedata.normalize("NFKD", value):
        if char.isascii():
            out.append(char)
        elif not unicodedata.combining(char):
            out.append(f"_U{ord(char):04X}_")
    return re.sub(r"[^A-Za-z0-9_]+", "_", "".join(out))


def enum_member(value: str) -> str:
    """The Python member name generated for an enum value."""
    member = ascii_words(value).strip("_").upper()
    return f"V_{member}" if not member or member[0].isdigit() else member


def identifier(name: str, taken: frozenset[str] = frozenset()) -> str:
    """`snake(name)` made a usable attribute or module name: `_` + it when it starts with a digit,
    it + `_` when it is a keyword or in `taken`."""
    python = snake(name) or "_"
    if python[0].isdigit():
        python = f"_{python}"
    while keyword.iskeyword(python) or python in taken:
        python = f"{python}_"
    return python


def package_name(app_id: str) -> str:
    """The service's import package: never a keyword, nor a module the service imports."""
    name = snake(app_id)
    if not name or name[0].isdigit():
        name = f"app_{name}"
    if keyword.iskeyword(name) or name in _STDLIB or name in _IMPORTED:
        name = f"{name}_app"
    return name
