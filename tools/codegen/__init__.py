"""Offline generation: a validated spec rendered through templates/ into a service and its tests.

>>> from tools.codegen import generate
>>> project = Workspace(Path("."))
>>> result = generate(Path("specs/001-task-reminders"), workspace=project, out="build/reminders")
"""

from __future__ import annotations

from tools.codegen.pipeline import GeneratedFile, GenerateResult, generate
from tools.codegen.render import render_service

__all__ = ["GenerateResult", "GeneratedFile", "generate", "render_service"]
