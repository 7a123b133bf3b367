"""Secret redaction for everything a record keeps verbatim.

A prompt is stored in full, so whatever credentials a user pasted would be committed with it. Each
match is replaced by `[REDACTED:<kind>]` (the surrounding text stays byte for byte) and counted, and
the count is written into the record so a reader knows the text was altered.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_MARKER = "[REDACTED:{kind}]"

# (kind, pattern, group to replace; 0 = the whole match). Order matters: whole blocks and specific
# token shapes first, so the generic assignment rule only sees what they left.
_PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    (
        "private-key",
        re.compile(
            r"-----BEGIN (?P<label>[A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----"
            r".*?-----END (?P=label)PRIVATE KEY( BLOCK)?-----",
            re.DOTALL,
        ),
        0,
    ),
    ("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}"), 0),
    ("openai-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"), 0),
    ("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"), 0),
    (
        "github-token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        0,
    ),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 0),
    (
        "slack-webhook",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+"),
        0,
    ),
    ("bearer-token", re.compile(r"\bBearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{20,})"), 1),
    # scheme://user:password@host — only the password goes.
    (
        "connection-password",
        re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:(?P<secret>[^\s@/]+)@"),
        1,
    ),
    # NAME=value / name: value where the name ends in a secret-bearing word (DAPR_API_TOKEN=...,
    # password: ...).
    (
        "assignment",
        re.compile(
            r"(?i)\b[A-Za-z0-9_.-]*?(?:token|secret|password|passwd|pwd|api[_-]?key|access[_-]?key|"
            r"private[_-]?key|credentials?|client[_-]?secret)\b[\"']?\s*[:=]\s*[\"']?"
            r"(?P<secret>[^\s\"'`;,]{4,})"
        ),
        1,
    ),
)
# Values that name a secret instead of holding one: references (${X}, <your key>, {{KEY}}, %X%),
# earlier markers, and plain words that appear in schemas and docs.
_REFERENCE_START = ("$", "<", "{{", "%", "[REDACTED:")
_PLAIN_WORDS = frozenset(
    {
        "true",
        "false",
        "null",
        "none",
        "required",
        "optional",
        "secretkeyref",
        "string",
        "str",
        "bytes",
    }
)


def _names_a_secret(value: str) -> bool:
    return value.startswith(_REFERENCE_START) or value.lower() in _PLAIN_WORDS


@dataclass(frozen=True)
class Redaction:
    """The redacted text and how many secrets of each kind were removed."""

    text: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def redact(text: str) -> Redaction:
    """Replace every secret in `text` by a `[REDACTED:<kind>]` marker."""
    counts: Counter[str] = Counter()
    for kind, pattern, group in _PATTERNS:
        marker = _MARKER.format(kind=kind)

        def replace(
            match: re.Match[str], kind: str = kind, group: int = group, marker: str = marker
        ) -> str:
            secret = match.group(group)
            if group and _names_a_secret(secret):
                return match.group(0)
            counts[kind] += 1
            start, end = match.start(group) - match.start(0), match.end(group) - match.start(0)
            whole = match.group(0)
            return whole[:start] + marker + whole[end:]

        text = pattern.sub(replace, text)
    return Redaction(text, counts)


def redact_all(*texts: str) -> tuple[list[str], Counter[str]]:
    """Redact several texts at once and return them with the combined counts."""
    counts: Counter[str] = Counter()
    cleaned = []
    for text in texts:
        result = redact(text)
        cleaned.append(result.text)
        counts.update(result.counts)
    return cleaned, counts
