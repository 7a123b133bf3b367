"""How generated subscriptions route and dead-letter: CEL rules that cannot fail to evaluate, and
the dead-letter topics the generated consumer subscribes to itself.

daprd 1.18 evaluates a subscription's rules before the app sees the event; a rule that errors
(a missing key, a field of a string) fails the delivery without any retry chain. Every field a
rule reads is therefore guarded here with `has()` and `type(...) == map` for each step of its
path, so an event whose data is text, binary (`data_base64`) or lacks the field matches no rule
and reaches the default route, where the app decodes and validates it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from tools.specs.components import BROKERS, DELIVERY_BUDGET_SECONDS
from tools.specs.names import snake

# Redis Streams' processingTimeout by default (components-contrib 1.18): after it, a message not
# yet acknowledged is handed out again, and a failed retry chain that ended before it is acked.
BROKER_REDELIVERY_SECONDS: Final = int(BROKERS["pubsub.redis"].window_seconds or 0)

# The retry chain of one delivery outlasts the broker's redelivery window (so a chain that gives
# up never acknowledges, see resiliency.yaml.j2), and one delivery's budget fits well inside it.
DELIVERIES: Final = {"interval": 5, "max_retries": 15, "budget": DELIVERY_BUDGET_SECONDS}


def delivery_policy(windows: Iterable[float]) -> dict[str, Any]:
    """The inbound retry chain for brokers that redeliver after `windows` seconds: DELIVERIES,
    lengthened to outlast the longest window, which a broker without redelivery does not have
    (`window` None). One chain serves every pub/sub component of the service."""
    longest = max(windows, default=0.0)
    interval = DELIVERIES["interval"]
    retries = max(DELIVERIES["max_retries"], int(longest // interval) + 1)
    return {**DELIVERIES, "max_retries": retries, "window": f"{longest:g}" if longest else None}


_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_REFERENCE = re.compile(r"(?<![\w.])event((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def guarded(match: str) -> str:
    """`match` behind the guards that make it false, not an error, when a field is absent."""
    guards: list[str] = []
    for path in _references(match):
        for depth in range(1, len(path) + 1):
            parent = ".".join(["event", *path[: depth - 1]])
            # `event` itself is always a map; every deeper step is checked before it is read.
            steps = [f"type({parent}) == map"] if depth > 1 else []
            steps.append(f"has({parent}.{path[depth - 1]})")
            guards += [step for step in steps if step not in guards]
    if not guards:
        return match
    return " && ".join([*guards, f"({match})"])


def _references(match: str) -> list[list[str]]:
    """Every `event.a.b` path the expression reads, outside string literals, in order."""
    code = _STRING.sub('""', match)
    found: list[list[str]] = []
    for reference in _REFERENCE.finditer(code):
        path = reference.group(1).lstrip(".").split(".")
        if path not in found:
            found.append(path)
    return found


def dead_letters(subscriptions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One consumer per dead-letter topic and pub/sub, in the order the subscriptions name them."""
    views: list[dict[str, Any]] = []
    # A dead-letter topic the spec subscribes to itself is consumed by the spec's own handler.
    subscribed = {(s["pubsub"], s["topic"]) for s in subscriptions}
    pairs = list(
        dict.fromkeys(
            (s["pubsub"], s["dlq"])
            for s in subscriptions
            if s["dlq"] and (s["pubsub"], s["dlq"]) not in subscribed
        )
    )
    for pubsub, topic in pairs:
        sub = next(s for s in subscriptions if (s["pubsub"], s["dlq"]) == (pubsub, topic))
        # A topic name used for dead letters on two pub/subs gets one route per pub/sub.
        shared = sum(1 for _, other in pairs if other == topic) > 1
        views.append(
            {
                "topic": topic,
                "pubsub": pubsub,
                "pubsub_attr": sub["pubsub_attr"],
                "file": topic + (f"-{pubsub}" if shared else ""),
                "rules": [],
                "path": f"/dead-letters/{topic}" + (f"/{pubsub}" if shared else ""),
                "func": f"on_dead_letter_{snake(topic)}" + (f"_{snake(pubsub)}" if shared else ""),
                "sources": [
                    s["topic"] for s in subscriptions if (s["pubsub"], s["dlq"]) == (pubsub, topic)
                ],
            }
        )
    return views
