"""The shipped PHR/ADR templates (prompts/templates/) and their one-pass `{{PLACEHOLDER}}`
filling."""

from __future__ import annotations

import re
from collections.abc import Mapping

from tools.resources import read_resource

PHR_TEMPLATE = "templates/phr-template.prompt.md"
ADR_TEMPLATE = "templates/adr-template.md"
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def fill(template_name: str, values: Mapping[str, str]) -> str:
    """The template with every placeholder replaced in a single pass.

    One pass matters: a prompt that itself contains `{{TITLE}}` is kept as written, not expanded.
    """
    template = read_resource("prompts", template_name)
    missing = sorted(set(_PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise KeyError(f"{template_name} needs values for {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def bullet_text(text: str) -> str:
    """Multi-line text made safe to follow a `- label:` bullet: continuation lines are indented into
    it."""
    lines = text.strip().split("\n")
    return "\n".join([lines[0], *(f"  {line}" if line.strip() else "" for line in lines[1:])])
