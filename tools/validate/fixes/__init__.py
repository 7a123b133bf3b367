"""Autofixes for the Dapr rules, written on libcst so the rest of the file survives byte for byte.

result = fix_source("app/main.py", source)
result.source   # the fixed code; result.fixed / result.remaining list the findings
"""

from __future__ import annotations

from tools.validate.fixes.apply import FixResult, fix_source

__all__ = ["FixResult", "fix_source"]
