"""Every error daprdev raises on purpose, in one hierarchy.

Front ends catch `DaprdevError` and show its message as is: the messages are written for the
reader (a person or a model) and say what is wrong and what to do instead. Anything else escaping is
a bug.
"""

from __future__ import annotations


class DaprdevError(Exception):
    """Base of every expected failure; `str(error)` is the full, reader-facing message."""


class UsageError(DaprdevError):
    """The request itself is malformed (bad arguments, unknown names). CLI exit code 2."""


class SpecError(DaprdevError):
    """A service spec is invalid; the message lists each problem with the path to its field."""


class PathRefused(DaprdevError):
    """A path escapes the workspace root or names a file daprdev must never write."""


class GateRefused(DaprdevError):
    """A change set failed the validation gate; nothing was written."""


class WriteConflict(DaprdevError):
    """A write would overwrite content a person edited (or that changed underneath us)."""


class HistoryError(DaprdevError):
    """A PHR or ADR operation cannot be done as asked (unknown stage, missing feature, bad id)."""
