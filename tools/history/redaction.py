"""Secret redaction for everything a record keeps verbatim.

A prompt is stored in full, so whatever credentials a user pasted would be committed with it. Each
match is replaced by `[REDACTED:<kind>]` (the surrounding text stays byte for byte) and counted, and
the count is written into the record so a reader knows the text was altered.

Three families of rules, most specific first: credential shapes that well-known providers give
their keys and tokens (a fixed prefix, a fixed alphabet), secrets named by what precedes them
(`password=...`, `Authorization: Basic ...`, `the password is ...`), and a few generic shapes
confident enough on their own (PEM private keys, JWTs, bare AWS secret keys). Ordinary text must
come through untouched: hex digests (PHRs list the sha256 of every file), git SHAs, UUIDs, code
that merely reads a secret from somewhere, and prose about passwords.

Every quantifier is bounded or anchored on a fixed prefix, so redacting a megabyte of adversarial
text stays linear.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

_MARKER = "[REDACTED:{kind}]"


def _always(value: str) -> bool:
    return True


@dataclass(frozen=True)
class _Rule:
    """`pattern` finds a secret; the `secret` group (the whole match without one) is replaced when
    `confident(secret)` holds."""

    kind: str
    pattern: re.Pattern[str]
    confident: Callable[[str], bool] = _always


# Values that name a secret instead of holding one: references (${X}, <your key>, {{KEY}}, %X%),
# values an earlier rule already redacted, and plain words that appear in schemas and docs.
_REFERENCE_START = ("$", "<", "{{", "%")
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
        "bearer",  # an auth scheme, redacted on its own by the bearer-token rule
        "basic",
    }
)
# Code that reads a secret from elsewhere (`os.environ["X"]`, `get_token()`, `settings.api_key`):
# a call, a subscript or a dotted attribute path.
_CODE = re.compile(r"[A-Za-z_][\w.]*[(\[]|[A-Za-z_]+(?:\.[A-Za-z_]+)+$")


def _holds_a_value(value: str) -> bool:
    return not (
        value.startswith(_REFERENCE_START) or "[REDACTED:" in value or value.lower() in _PLAIN_WORDS
    )


def _assigned_value(value: str) -> bool:
    return _holds_a_value(value) and not _CODE.match(value)


# "the password is required" is prose; "the password is hunter2" is not. A lower-case word is taken
# for prose when it is a common word or reads like one (past participle, gerund, adverb).
_PROSE_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "not",
        "no",
        "now",
        "still",
        "also",
        "just",
        "only",
        "never",
        "always",
        "often",
        "too",
        "very",
        "so",
        "then",
        "there",
        "here",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "what",
        "which",
        "who",
        "where",
        "how",
        "why",
        "when",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "to",
        "of",
        "with",
        "without",
        "into",
        "out",
        "off",
        "up",
        "down",
        "over",
        "under",
        "about",
        "like",
        "same",
        "different",
        "set",
        "unset",
        "read",
        "sent",
        "kept",
        "put",
        "given",
        "written",
        "taken",
        "shown",
        "known",
        "empty",
        "blank",
        "missing",
        "wrong",
        "invalid",
        "valid",
        "correct",
        "incorrect",
        "secure",
        "insecure",
        "safe",
        "unsafe",
        "weak",
        "strong",
        "short",
        "long",
        "new",
        "old",
        "random",
        "unique",
        "static",
        "secret",
        "private",
        "public",
        "hidden",
        "visible",
        "good",
        "bad",
        "fine",
        "ok",
        "okay",
        "true",
        "false",
        "null",
        "none",
        "nil",
        "undefined",
        "one",
        "two",
        "all",
        "any",
        "each",
        "every",
        "both",
        "either",
        "neither",
        "some",
        "more",
        "less",
        "enough",
        "available",
        "necessary",
        "optional",
        "mandatory",
        "needed",
        "due",
        "part",
        "case",
        "sensitive",
        "stale",
        "obsolete",
        "deprecated",
    }
)
_PROSE_ENDINGS = ("ed", "ing", "ly", "able", "ible")


def _not_prose(value: str) -> bool:
    if not _holds_a_value(value):
        return False
    if not value.isalpha() or not value[1:].islower():
        return True  # digits, symbols or inner capitals: not an English word
    word = value.lower()
    return word not in _PROSE_WORDS and not word.endswith(_PROSE_ENDINGS)


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _random_key(value: str) -> bool:
    """40 characters of base64 that look random, not like a path or a CamelCase name.

    30 random bytes in base64 have an entropy above 4.3 bits per character all but once in a
    thousand, and hold all three character classes; file paths and identifiers of that length stay
    near 4.0.
    """
    return (
        any(c.islower() for c in value)
        and any(c.isupper() for c in value)
        and any(c.isdigit() for c in value)
        and "//" not in value
        and _entropy(value) > 4.3
    )


_NEWLINE = r"(?:\r?\n|(?:\\r)?\\n)"  # a line break, or the `\n` escape of a key held in JSON
_PEM_BEGIN = r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
_PEM_END = r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
# One line of a key's base64 body: 8 or more characters, or the padded short last line.
_PEM_BODY_LINE = (
    rf"[ \t]*(?:[A-Za-z0-9+/]{{8,}}={{0,2}}|[A-Za-z0-9+/]{{0,7}}={{1,2}})(?=[ \t]*(?:{_NEWLINE}|$))"
)
# What follows `password=` (or `the password is`): a quoted value up to its closing quote or the
# end of the line, or one unquoted word.
_QUOTED = r"(?P<quote>[\"'`])(?P<secret>(?:(?!(?P=quote))[^\n])+)"
_VALUE = rf"(?:{_QUOTED}|(?P<bare>[^\s\"'`;,]{{4,}}))"
_SECRET_NAME = (
    r"(?:token|secret|password|passwd|passphrase|pwd|api[_-]?key|access[_-]?key|"
    r"private[_-]?key|secret[_-]?key|signing[_-]?key|account[_-]?key|credentials?|"
    r"client[_-]?secret)"
)

_RULES: tuple[_Rule, ...] = (
    # A whole key block, to its END line; or, for a key pasted without one, the header lines and
    # every base64 line that follows BEGIN.
    _Rule(
        "private-key",
        re.compile(
            rf"{_PEM_BEGIN}(?:(?:(?!-----BEGIN )[\s\S]){{0,16384}}?{_PEM_END}"
            rf"|(?:{_NEWLINE}[ \t]*[A-Za-z][A-Za-z0-9-]{{0,40}}:[^\r\n\\]*)*"
            rf"(?:{_NEWLINE}{{1,3}}{_PEM_BODY_LINE})*+)"
        ),
    ),
    _Rule("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    _Rule("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    _Rule("openai-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    _Rule("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    _Rule(
        "aws-secret-access-key",
        re.compile(
            r"(?i:(?:aws_?)?secret_?access_?key)[\"']?[\s:=|\"']{1,8}"
            r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
    ),
    _Rule(
        "aws-secret-access-key",
        re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
        _random_key,
    ),
    _Rule(
        "github-token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ),
    _Rule("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    _Rule("slack-token", re.compile(r"\b(?:xox[abeoprs](?:\.xox[abprs])?|xapp)-[A-Za-z0-9-]{10,}")),
    _Rule(
        "slack-webhook",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+"),
    ),
    _Rule(
        "stripe-key", re.compile(r"\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_\w{20,})")
    ),
    _Rule("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])")),
    _Rule("google-oauth", re.compile(r"\b(?:GOCSPX-[A-Za-z0-9_-]{20,}|ya29\.[A-Za-z0-9_-]{20,})")),
    _Rule("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    _Rule("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    _Rule("pypi-token", re.compile(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{20,}")),
    _Rule("docker-token", re.compile(r"\bdckr_pat_[A-Za-z0-9_-]{20,}")),
    _Rule("sendgrid-key", re.compile(r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}")),
    _Rule(
        "azure-key",
        re.compile(
            r"(?i:\b(?:Account|SharedAccess)Key)\s*=\s*(?P<secret>[A-Za-z0-9+/]{16,256}={0,2})"
        ),
    ),
    _Rule("azure-sas-signature", re.compile(r"[?&;]sig=(?P<secret>[A-Za-z0-9%+/=_-]{10,256})")),
    _Rule(
        "basic-auth",
        re.compile(
            r"(?i:\bauthorization)[\"']?\s*[:=]\s*[\"']?(?i:basic)\s+"
            r"(?P<secret>[A-Za-z0-9+/]{4,1024}={0,2})"
        ),
    ),
    _Rule("bearer-token", re.compile(r"\b(?i:bearer)\s+(?P<secret>[A-Za-z0-9._~+/=-]{20,})")),
    # scheme://user:password@host - only the password goes. It runs to the last `@` before the
    # path, so a password holding an `@` goes whole.
    _Rule(
        "connection-password",
        re.compile(
            r"\b[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s:/@]{0,256}:(?P<secret>[^\s/\"'`<>]{1,256})@"
        ),
        _holds_a_value,
    ),
    # NAME=value / name: value where the name ends in a secret-bearing word (DAPR_API_TOKEN=...,
    # password: ...). Only the value goes; the name stays so the record still reads.
    _Rule(
        "assignment",
        re.compile(rf"(?i:{_SECRET_NAME})\b[\"']?\s*[:=]\s*{_VALUE}"),
        _assigned_value,
    ),
    # The same, said in a sentence: "my password is hunter2", "the API key was 'abc def'".
    _Rule(
        "prose",
        re.compile(
            rf"(?i:\b(?:password|passphrase|passwd|secret|token|api[ _-]?key|access[ _-]?key)"
            rf"\s+(?:is|was)(?:\s*:)?\s+)"
            rf"(?:{_QUOTED}|(?P<bare>[^\s\"'`]{{3,256}}?)(?=[.,;:!?)]*(?:\s|$)))"
        ),
        _not_prose,
    ),
)


@dataclass(frozen=True)
class Redaction:
    """The redacted text and how many secrets of each kind were removed."""

    text: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _span(match: re.Match[str]) -> tuple[int, int]:
    """Where the secret sits in `match`: the group that took it, else the whole match."""
    for name in ("secret", "bare"):
        if name in match.re.groupindex and match.group(name) is not None:
            return match.span(name)
    return match.span()


def redact(text: str) -> Redaction:
    """Replace every secret in `text` by a `[REDACTED:<kind>]` marker."""
    counts: Counter[str] = Counter()
    for rule in _RULES:
        marker = _MARKER.format(kind=rule.kind)

        def replace(match: re.Match[str], rule: _Rule = rule, marker: str = marker) -> str:
            start, end = _span(match)
            if not rule.confident(match.string[start:end]):
                return match.group(0)
            counts[rule.kind] += 1
            whole = match.group(0)
            offset = match.start()
            return whole[: start - offset] + marker + whole[end - offset :]

        text = rule.pattern.sub(replace, text)
    return Redaction(text, counts)


def describe(counts: Counter[str]) -> str:
    """The note a record carries about its redactions: `0`, or `3 (jwt x1, prose x2)`."""
    total = sum(counts.values())
    if not total:
        return "0"
    kinds = ", ".join(f"{kind} x{count}" for kind, count in sorted(counts.items()))
    return f"{total} ({kinds})"
