"""Cross-references of a structurally valid spec: every name used is defined and fits its use."""

from __future__ import annotations

import dataclasses
import difflib
import keyword
import math
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel

from tools.specs.components import (
    BROKERS,
    DELIVERY_BUDGET_SECONDS,
    QUERY_FILTER_TYPES,
    QUERY_SORT_TYPES,
    STORES,
    claims_refusal,
    duration_seconds,
    first_write_refusal,
    outbox_refusal,
    unknown_store_type,
)
from tools.specs.model import (
    COMPONENT_NAME,
    JOB_NAME,
    PASCAL,
    PLACEHOLDER,
    RFC3339,
    TOPIC_NAME,
    Action,
    ModelSpec,
    SecretRef,
    ServiceSpec,
    StateStore,
    Subscription,
)
from tools.specs.names import enum_member, snake
from tools.specs.types import SCALARS, TypeRef

_MODEL_ATTRS = frozenset(name for name in dir(BaseModel) if not name.startswith("_"))
RESERVED_TYPE_NAMES = frozenset(
    {
        "Any", "BaseModel", "CloudEvent", "ConfigDict", "Field", "Generic", "M", "Payload",
        "Services", "Settings", "StrEnum", "T", "TypeVar", "UUID",
    }
)  # fmt: skip
"""Names the generated modules import or define next to the spec's types."""
_KEY_SCALARS = frozenset({"str", "int", "uuid"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: the dotted path to the field and what would be valid."""

    path: str
    message: str
    needs: str | None = dataclasses.field(default=None, compare=False)
    """`section.name` whose absence the problem reports (`types.X`, `topics.X`, `jobs.X`, ...):
    when that entry was left out because it is invalid itself, the problem is not reported."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown(kind: str, name: str, choices: Iterable[str]) -> str:
    names = sorted(choices)
    hint = did_you_mean(name, names)
    known = f"; defined: {', '.join(names)}" if names and not hint else ""
    return f"unknown {kind} '{name}'{hint}{known}"


def check_spec(spec: ServiceSpec) -> list[Problem]:
    """Every cross-reference problem of `spec`, in spec order."""
    return list(_problems(spec))


def _problems(spec: ServiceSpec) -> Iterator[Problem]:
    yield from _names(spec)
    yield from _python_names(spec)
    yield from _publications(spec)
    yield from _subscriptions(spec)
    yield from _pubsubs(spec)
    yield from _state_stores(spec)
    yield from _store_metadata(spec)
    yield from _outboxes(spec)
    yield from _jobs(spec)
    yield from _bindings(spec)
    yield from _invocations(spec)
    yield from _methods(spec)
    yield from _secrets(spec)


def _names(spec: ServiceSpec) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for section, names in (("enums", spec.enums), ("models", spec.models), ("events", spec.events)):
        for name in names:
            if not PASCAL.match(name):
                yield Problem(f"{section}.{name}", "type names are PascalCase, e.g. 'TaskCreated'")
            if name in SCALARS:
                yield Problem(f"{section}.{name}", f"'{name}' is a built-in type name")
            if name in seen:
                yield Problem(f"{section}.{name}", f"'{name}' is already defined in {seen[name]}")
            seen[name] = section
    for section, models in (("models", spec.models), ("events", spec.events)):
        for name, model in models.items():
            for field in model.fields:
                if keyword.iskeyword(field) or field.startswith("model_") or field in _MODEL_ATTRS:
                    yield Problem(
                        f"{section}.{name}.fields.{field}",
                        f"'{field}' cannot be a field name in Python/Pydantic; rename it",
                    )
    for section, names in (("enums", spec.enums), ("models", spec.models), ("events", spec.events)):
        for name in names:
            if name in RESERVED_TYPE_NAMES:
                yield Problem(
                    f"{section}.{name}", f"'{name}' is a name the generated code uses; rename it"
                )
    for name, values in spec.enums.items():
        if not values:
            yield Problem(f"enums.{name}", "an enum needs at least one value")
        members = [enum_member(v) for v in values]
        if len(set(members)) != len(members):
            yield Problem(
                f"enums.{name}",
                "values must be distinct (ignoring case, accents and punctuation)",
            )
    for name in spec.external_topics:
        if not TOPIC_NAME.match(name):
            yield Problem(f"external_topics.{name}", "not a valid topic name")


def _python_names(spec: ServiceSpec) -> Iterator[Problem]:
    """Names that differ only in punctuation become the same function or attribute in Python."""
    sections: dict[str, Iterable[str]] = {
        "publications": spec.publications,
        "subscriptions": spec.subscriptions,
        "jobs": spec.jobs,
        "bindings.input": spec.bindings.input,
        "bindings.output": spec.bindings.output,
        "invocations": spec.invocations,
        "methods": spec.methods,
    }
    for section, names in sections.items():
        seen: dict[str, str] = {}
        for name in names:
            python = snake(name)
            if python in seen:
                yield Problem(
                    f"{section}.{name}",
                    f"'{name}' and '{seen[python]}' both become '{python}' in Python; rename one",
                )
            seen[python] = name
    handlers: dict[str, str] = {}
    for path, handler in _handler_names(spec):
        if handler in handlers:
            yield Problem(
                path,
                f"its handler and that of {handlers[handler]} would both be the Python function "
                f"'{handler}'; rename one",
            )
        handlers.setdefault(handler, path)


def _handler_names(spec: ServiceSpec) -> Iterator[tuple[str, str]]:
    """(path, effect function) of every handler, named as the generator names them."""
    for topic, sub in spec.subscriptions.items():
        yield f"subscriptions.{topic}", f"on_{snake(topic)}"
        for index, rule in enumerate(sub.rules):
            yield f"subscriptions.{topic}.rules[{index}]", f"on_{snake(topic)}_{rule.name}"
        for name in sub.types:
            yield f"subscriptions.{topic}.types.{name}", f"on_{snake(topic)}_{name}"
    for name in spec.jobs:
        yield f"jobs.{name}", f"on_job_{snake(name)}"
    for name in spec.bindings.input:
        yield f"bindings.input.{name}", f"on_binding_{snake(name)}"
    for name in spec.methods:
        yield f"methods.{name}", f"on_method_{snake(name)}"


def _component(path: str, name: str | None) -> Iterator[Problem]:
    if name is not None and not COMPONENT_NAME.match(name):
        yield Problem(path, f"'{name}' is not a valid component name (lowercase DNS label)")


def _topic(path: str, topic: str) -> Iterator[Problem]:
    if not TOPIC_NAME.match(topic):
        yield Problem(path, f"'{topic}' is not a valid topic name (letters, digits, '.', '_', '-')")


def _event(spec: ServiceSpec, path: str, name: str | None) -> Iterator[Problem]:
    if name is not None and name not in spec.payload_types():
        yield Problem(path, unknown("event", name, spec.events), needs=f"types.{name}")


def _publications(spec: ServiceSpec) -> Iterator[Problem]:
    routes: dict[str, str] = {}
    for topic, pub in spec.publications.items():
        base = f"publications.{topic}"
        yield from _topic(base, topic)
        yield from _component(f"{base}.pubsub", pub.pubsub)
        yield from _event(spec, f"{base}.event", pub.event)
        event = spec.payload_types().get(pub.event)
        if event and pub.idempotency_field:
            key = event.fields.get(pub.idempotency_field)
            if key is None:
                yield Problem(
                    f"{base}.idempotency_field",
                    unknown("field", pub.idempotency_field, event.fields),
                )
            elif key.ref.optional or key.ref.is_list or key.ref.name not in _KEY_SCALARS:
                yield Problem(
                    f"{base}.idempotency_field",
                    f"the CloudEvent id comes from this field, so it must be a required str, int "
                    f"or uuid ('{key.type}' would give events without a value the same id "
                    "'None', and all but the first would be skipped as duplicates)",
                )
        if pub.route:
            taken = _reserved_route(spec, pub.route)
            if taken:
                yield Problem(
                    f"{base}.route", f"'{pub.route}' is taken by {taken}; pick another path"
                )
            for route in (pub.route, *([f"{pub.route}/bulk"] if pub.bulk else [])):
                if route in routes:
                    yield Problem(
                        f"{base}.route", f"{route} is already used by publications.{routes[route]}"
                    )
                routes[route] = topic
        elif pub.bulk:
            yield Problem(
                f"{base}.bulk",
                "the bulk route is served beside the publication's route (POST <route>/bulk); "
                "give the publication a route",
            )


_RESERVED_PREFIXES = {
    "/dapr/": "Dapr's app API",
    "/events/": "subscription deliveries",
    "/job/": "job triggers",
}


def _reserved_route(spec: ServiceSpec, route: str) -> str | None:
    """What already answers `route` in the generated app, if anything."""
    path = route.rstrip("/") or "/"
    if path in ("/healthz", "/dapr", "/events", "/job"):
        return "the generated app"
    for prefix, owner in _RESERVED_PREFIXES.items():
        if path.startswith(prefix):
            return owner
    if path.removeprefix("/") in spec.bindings.input:
        return f"input binding '{path.removeprefix('/')}'"
    return None


def _subscriptions(spec: ServiceSpec) -> Iterator[Problem]:
    handled = set(spec.subscriptions) | set(spec.external_topics)
    for topic, sub in spec.subscriptions.items():
        base = f"subscriptions.{topic}"
        yield from _topic(base, topic)
        yield from _component(f"{base}.pubsub", sub.pubsub)
        yield from _event(spec, f"{base}.event", sub.event)
        yield from _types(spec, base, topic, sub)
        dlq = sub.dead_letter_topic
        if dlq is not None and not sub.dead_letter_external and dlq not in handled:
            yield Problem(
                f"{base}.dead_letter_topic",
                f"'{dlq}' is neither subscribed here nor external; add a subscription for it, "
                "list it under external_topics, or set dead_letter_external: true",
                needs=f"topics.{dlq}",
            )
        if dlq == topic:
            yield Problem(f"{base}.dead_letter_topic", "must differ from the topic itself")
        elif dlq in spec.subscriptions and _accepted(spec.subscriptions[dlq]) != _accepted(sub):
            yield Problem(
                f"{base}.dead_letter_topic",
                f"'{dlq}' is subscribed as {_described(spec.subscriptions[dlq])}, but its dead "
                f"letters are the {_described(sub)} messages of '{topic}'; subscribe '{dlq}' "
                f"with {'the same types' if sub.types else f'event {sub.event}'}",
            )
        names = [rule.name for rule in sub.rules]
        for index, rule in enumerate(sub.rules):
            if names.count(rule.name) > 1:
                yield Problem(f"{base}.rules[{index}].name", f"'{rule.name}' is used twice")
            yield from _actions(spec, f"{base}.rules[{index}]", sub.event, rule.actions)
        if sub.event is not None:
            yield from _actions(spec, base, sub.event, sub.actions)
        for event in dict.fromkeys(_accepted(sub).values()):
            yield from _claim_field(spec, base, event, sub.idempotency_field)
        if sub.idempotency_field is None and topic in _outbox_topics(spec):
            yield Problem(
                f"{base}.idempotency_field",
                f"'{topic}' is published by the outbox of state_stores."
                f"{_outbox_topics(spec)[topic]}, whose messages carry a random CloudEvent id (a "
                "redelivered save is published again under a new one); claim deliveries on a "
                "business key: set idempotency_field to the entity's key field",
            )


DEFAULT_CLOUDEVENT_TYPE = "com.dapr.event.sent"
"""The type daprd gives a message whose publisher named none (and every outbox message)."""


def _accepted(sub: Subscription) -> dict[str | None, str]:
    """CloudEvent type -> the event a subscription takes it as (None: any type, one event)."""
    if sub.types:
        return {entry.type: entry.event for entry in sub.types.values()}
    return {None: sub.event} if sub.event else {}


def _described(sub: Subscription) -> str:
    if sub.types:
        return "types " + ", ".join(f"{e.type} ({e.event})" for e in sub.types.values())
    return f"{sub.event}"


def _types(spec: ServiceSpec, base: str, topic: str, sub: Subscription) -> Iterator[Problem]:
    """A subscription takes one event, or several told apart by their CloudEvent type, each
    type one handler: nothing a message could be handled by twice, or by none it was sent for."""
    if sub.event is None and not sub.types:
        yield Problem(
            base,
            "name the event it consumes (event: <Event>), or several with types: {<handler>: "
            "{type: <CloudEvent type>, event: <Event>, actions}}",
        )
    if not sub.types:
        return
    if sub.event is not None:
        yield Problem(
            f"{base}.event",
            "a subscription with types takes each message as the event of its CloudEvent type; "
            "drop event",
        )
    if sub.rules:
        yield Problem(
            f"{base}.rules",
            "routing rules pick a route in daprd, before the app reads the CloudEvent type; with "
            "types each type's handler is its route: drop rules (a condition goes in its hook)",
        )
    if sub.actions:
        yield Problem(
            f"{base}.actions",
            "with types each type has its own actions; move these under types.<handler>.actions",
        )
    owners: dict[str, str] = {}
    for name, entry in sub.types.items():
        path = f"{base}.types.{name}"
        other = owners.setdefault(entry.type, name)
        if other != name:
            yield Problem(
                f"{path}.type",
                f"'{entry.type}' is also the type of types.{other}: a message of that type "
                "would have two handlers; give each handler its own type",
            )
        yield from _event(spec, f"{path}.event", entry.event)
        yield from _actions(spec, path, entry.event, entry.actions)
    outbox = _outbox_topics(spec).get(topic)
    if outbox is not None:
        yield Problem(
            f"{base}.types",
            f"'{topic}' is published by the outbox of state_stores.{outbox}, whose messages all "
            f"carry daprd's type {DEFAULT_CLOUDEVENT_TYPE}; subscribe it with event",
        )
    own = spec.publications.get(topic)
    if own is not None and outbox is None:
        sent = own.type or DEFAULT_CLOUDEVENT_TYPE
        taken = _accepted(sub).get(sent)
        if taken is None:
            yield Problem(
                f"{base}.types",
                f"this app publishes {own.event} on '{topic}' as type '{sent}', which no handler "
                "takes: its own messages would be dropped; add a handler of that type",
            )
        elif taken != own.event:
            yield Problem(
                f"{base}.types",
                f"this app publishes {own.event} on '{topic}' as type '{sent}', but the handler "
                f"of that type takes {taken}",
            )


def _claim_field(
    spec: ServiceSpec, base: str, event_name: str, name: str | None
) -> Iterator[Problem]:
    event = spec.payload_types().get(event_name)
    if event is None or name is None:
        return
    key = event.fields.get(name)
    if key is None:
        yield Problem(f"{base}.idempotency_field", unknown("field", name, event.fields))
    elif key.ref.optional or key.ref.is_list or key.ref.name not in _KEY_SCALARS:
        yield Problem(
            f"{base}.idempotency_field",
            f"deliveries are claimed on this field, so it must be a required str, int or uuid "
            f"('{key.type}' would claim every event without a value as 'None')",
        )


def _pubsubs(spec: ServiceSpec) -> Iterator[Problem]:
    """Each pub/sub entry is a component the service uses, of a type whose redelivery the
    generator knows, with a redelivery window a delivery fits in."""
    used = spec.pubsub_names()
    for name, entry in spec.pubsubs.items():
        base = f"pubsubs.{name}"
        yield from _component(base, name)
        if name not in used:
            yield Problem(
                base,
                f"'{name}' is no pub/sub component this spec publishes or subscribes through "
                f"(those are: {', '.join(used)}){did_you_mean(name, used)}",
            )
        broker = BROKERS.get(entry.type)
        if broker is None:
            yield Problem(
                f"{base}.type",
                f"daprdev does not generate for pub/sub type '{entry.type}': how a broker "
                f"redelivers decides the retry chain of every delivery (resiliency.yaml), and "
                f"that is known for {', '.join(sorted(BROKERS))} only"
                f"{did_you_mean(entry.type, BROKERS)}",
            )
            continue
        if broker.window_metadata not in entry.metadata:
            continue
        window = entry.metadata[broker.window_metadata]
        path = f"{base}.metadata.{broker.window_metadata}"
        seconds = duration_seconds(window) if isinstance(window, str) else None
        if seconds is None:
            yield Problem(
                path,
                f"'{window}' is not a duration daprdev can read; write milliseconds ('90000') "
                f"or a Go duration ('90s'): the retry chain of deliveries is derived from it",
            )
        elif 0 < seconds <= DELIVERY_BUDGET_SECONDS:
            yield Problem(
                path,
                f"{seconds:g} s is within one delivery's budget ({DELIVERY_BUDGET_SECONDS} s): "
                f"the broker would hand a message still being handled to another delivery; "
                f"write more than {DELIVERY_BUDGET_SECONDS} s, or '0' for no redelivery",
            )


def _state_stores(spec: ServiceSpec) -> Iterator[Problem]:
    claims = spec.service.idempotency
    entry = spec.state_stores.get(claims.store)
    if claims.type is not None and entry is not None and entry.type != claims.type:
        yield Problem(
            "service.idempotency.type",
            f"'{claims.store}' is a state_stores entry of type '{entry.type}'; drop this type "
            f"or make the two agree",
        )
    if entry is None and (untyped := unknown_store_type(spec.store_type(claims.store))):
        yield Problem("service.idempotency.type", untyped)
    if refused := claims_refusal(spec.store_type(claims.store)):
        yield Problem("service.idempotency.store", refused)
    for name, store in spec.state_stores.items():
        base = f"state_stores.{name}"
        yield from _component(base, name)
        yield from _store_type(base, store)
        yield from _event(spec, f"{base}.entity", store.entity)
        entity = spec.payload_types().get(store.entity)
        if entity is None:
            continue
        key = entity.fields.get(store.key)
        if key is None:
            yield Problem(f"{base}.key", unknown("field", store.key, entity.fields))
        elif key.ref.optional or key.ref.is_list or key.ref.name not in _KEY_SCALARS:
            yield Problem(f"{base}.key", "the key field must be a required str, int or uuid")
    yield from _read_routes(spec)
    yield from _queries(spec)


def _store_type(base: str, store: StateStore) -> Iterator[Problem]:
    """A store type the capability table knows, honouring what the entry asks of it."""
    if untyped := unknown_store_type(store.type):
        yield Problem(f"{base}.type", untyped)
    if store.concurrency == "first-write" and (refused := first_write_refusal(store.type)):
        yield Problem(f"{base}.type", refused)
    if store.outbox is not None and (refused := outbox_refusal(store.type)):
        yield Problem(f"{base}.outbox", refused)


_QUERY_PARAMETERS = frozenset({"sort", "limit", "token"})
"""The query route's own parameters, beside one per filter."""


def _queries(spec: ServiceSpec) -> Iterator[Problem]:
    """A query route only on a store type that serves Dapr's query API and holds no claims, on
    fields whose comparison the store makes as their type would, at a GET path of its own."""
    queryable = ", ".join(sorted(t for t, c in STORES.items() if c.query))
    reads = {s.read_route: n for n, s in spec.state_stores.items() if s.read_route}
    seen: dict[str, str] = {}
    for name, store in spec.state_stores.items():
        query = store.query
        if query is None:
            continue
        base = f"state_stores.{name}.query"
        known = STORES.get(store.type)
        if known is not None and not known.query:  # an unknown type is reported at its `type`
            yield Problem(
                base,
                f"'{store.type}' does not serve Dapr's state query API; a query route needs a "
                f"store of type {queryable}",
            )
        if store.outbox is not None:
            yield Problem(
                base,
                "an outbox publishes what a transaction writes, and daprd hands a transaction's "
                "values to the store as bytes, whose fields no query can read; keep the queried "
                "entity in a store without an outbox",
            )
        if name == spec.service.idempotency.store:
            yield Problem(
                base,
                f"'{name}' also holds the idempotency claims, which a query would page through "
                "beside the entities; keep the claims in another store (service.idempotency.store)",
            )
        taken = _reserved_route(spec, query.route)
        parent, _, last = query.route.rpartition("/")
        if taken is None and parent in reads and last:
            taken = f"GET {parent}/{{key}} of state_stores.{reads[parent]}"
        if taken is None and query.route in seen:
            taken = f"the query of state_stores.{seen[query.route]}"
        if taken:
            yield Problem(
                f"{base}.route", f"'{query.route}' is taken by {taken}; pick another path"
            )
        seen.setdefault(query.route, name)
        entity = spec.payload_types().get(store.entity)
        if entity is None:
            continue
        for part, types, what in (
            ("filters", QUERY_FILTER_TYPES, "filter on"),
            ("sort", QUERY_SORT_TYPES, "sort on"),
        ):
            for field in getattr(query, part):
                path = f"{base}.{part}"
                spec_field = entity.fields.get(field)
                if spec_field is None:
                    yield Problem(path, unknown("field", field, entity.fields))
                    continue
                ref = spec_field.ref
                if ref.is_list or (ref.name not in types and ref.name not in spec.enums):
                    allowed = ", ".join(sorted(types))
                    yield Problem(
                        path,
                        f"a query cannot {what} '{field}' ({_type_text(ref)}): the store compares "
                        f"a field's JSON text, which only for {allowed} and enums is how their "
                        "values compare",
                    )
                if entity.json_name(field) in _QUERY_PARAMETERS:
                    yield Problem(
                        path,
                        f"'{entity.json_name(field)}' is a parameter of the query route itself; "
                        "give the field an alias",
                    )


def _outbox_topics(spec: ServiceSpec) -> dict[str, str]:
    """Topic -> the state store whose outbox publishes on it."""
    return {s.outbox.topic: name for name, s in spec.state_stores.items() if s.outbox}


def _store_metadata(spec: ServiceSpec) -> Iterator[Problem]:
    """A store's spec metadata leaves alone what the generator sets for the store's behaviour:
    its tables (a query must see this store's items only) and Dapr's outbox settings."""
    for name, store in spec.state_stores.items():
        known = STORES.get(store.type)
        tables = {metadata for metadata, _ in known.table_metadata} if known else set()
        for key in store.metadata:
            if key in tables:
                why = "each store gets tables of its own, so a query sees only its items"
            elif key.lower().startswith("outbox"):
                why = "it comes from the store's outbox section"
            else:
                continue
            yield Problem(
                f"state_stores.{name}.metadata.{key}",
                f"daprdev writes {key} itself ({why}); drop it from the metadata",
            )


def _outboxes(spec: ServiceSpec) -> Iterator[Problem]:
    """An outbox publishes the saved entity itself as a publication's event, on a store that
    holds no claims (Dapr publishes every upsert of the transaction, a claim too)."""
    fed: dict[str, str] = {}
    for name, store in spec.state_stores.items():
        if store.outbox is None:
            continue
        path = f"state_stores.{name}.outbox"
        topic = store.outbox.topic
        pub = spec.publications.get(topic)
        if pub is None:
            yield Problem(f"{path}.topic", unknown("publication topic", topic, spec.publications))
        else:
            # Subscribers read the stored entity as the publication's event.
            yield from _projection(spec, f"{path}.topic", store.entity, pub.event)
            for attribute in ("type", "source"):
                if getattr(pub, attribute) is not None:
                    yield Problem(
                        f"publications.{topic}.{attribute}",
                        f"daprd's outbox (state_stores.{name}) publishes on this topic with its "
                        f"own CloudEvent {attribute}; the app cannot set it",
                    )
        if topic in fed:
            yield Problem(f"{path}.topic", f"state_stores.{fed[topic]} publishes on it already")
        fed.setdefault(topic, name)
        sub = spec.subscriptions.get(topic)
        if sub and any(a.kind == "save" and a.target == name for a in _delivery_actions(sub)):
            yield Problem(
                f"{path}.topic",
                f"subscriptions.{topic} saves into this store, so every message it handles "
                "would be published on its own topic again, without end; publish on another topic",
            )
        if name == spec.service.idempotency.store:
            yield Problem(
                path,
                "Dapr's outbox publishes every upsert of a transaction, so each delivery's "
                "idempotency claim would be published on the topic too; keep the claims in "
                "another store (service.idempotency.store) and the entity here",
            )


def _read_routes(spec: ServiceSpec) -> Iterator[Problem]:
    """GET (DELETE, PUT) <route>/{key} of each readable store: no route of the app's own, none
    taken twice; a delete or an update only beside a read route."""
    seen: dict[str, str] = {}
    for name, store in spec.state_stores.items():
        route = store.read_route
        if route is None:
            for switch, verb in (("delete", "DELETE"), ("update", "PUT")):
                if getattr(store, switch):
                    yield Problem(
                        f"state_stores.{name}.{switch}",
                        f"the {switch} route is served at the read route ({verb} "
                        "<read_route>/{key}); give the store a read_route",
                    )
            continue
        path = f"state_stores.{name}.read_route"
        taken = _reserved_route(spec, route)
        if taken:
            yield Problem(path, f"'{route}' is taken by {taken}; pick another path")
        if route in seen:
            yield Problem(path, f"route already used by state_stores.{seen[route]}")
        seen.setdefault(route, name)


def _jobs(spec: ServiceSpec) -> Iterator[Problem]:
    for name, job in spec.jobs.items():
        base = f"jobs.{name}"
        if not JOB_NAME.match(name):
            yield Problem(
                base,
                f"'{name}' is not a valid job name (lowercase letters, digits, '-', '_' and '.', "
                "at most 62 characters, first and last a letter or digit)",
            )
        elif refused := scheduler_refuses(name):
            yield Problem(base, refused)
        if job.ttl is not None and job.schedule is None:
            yield Problem(
                f"{base}.ttl",
                "the Scheduler refuses a ttl on a job without a schedule; drop ttl, or give the "
                "job a schedule (a one-shot job ends after its due_time anyway)",
            )
        yield from _event(spec, f"{base}.data", job.data)
        data = spec.payload_types().get(job.data) if job.data else None
        if job.is_per_key:
            if job.data is None:
                yield Problem(f"{base}.data", "a per_key job needs a data event")
            elif data is not None:
                yield from _job_field(f"{base}.per_key", data, job.per_key, _KEY_SCALARS)
                if job.due_time_field is not None:
                    yield from _job_field(
                        f"{base}.due_time_field", data, job.due_time_field, frozenset({"datetime"})
                    )
        if job.payload is not None:
            if job.data is None:
                yield Problem(f"{base}.payload", "a payload needs a data event (jobs.<name>.data)")
            elif data is not None:
                yield from _literal(spec, f"{base}.payload", TypeRef(job.data or ""), job.payload)
        yield from _actions(spec, base, job.data, job.actions)
    yield from _job_name_overlaps(spec)


def scheduler_refuses(name: str) -> str | None:
    """Why the Scheduler refuses a job name, or None: without '-', '_', ':' and spaces it must be
    a DNS subdomain (dot-separated labels of letters and digits, at most 253 characters)."""
    bare = re.sub(r"[-_: ]", "", name.lower())
    labels = bare.split(".")
    if len(bare) > 253 or not all(re.fullmatch(r"[a-z0-9]+", label) for label in labels):
        return (
            f"the Scheduler refuses the job name '{name}': each '.'-separated part needs a "
            "letter or digit (write e.g. 'nightly.report', not 'nightly..report')"
        )
    return None


def _job_name_overlaps(spec: ServiceSpec) -> Iterator[Problem]:
    """A per-key job is named '<job>-<key>'; another job whose name is such a name collides with
    it in the Scheduler (one overwrites the other) when the key can take that form."""
    for name, job in spec.jobs.items():
        data = spec.payload_types().get(job.data or "")
        key = data.fields.get(job.per_key or "") if data else None
        if key is None:
            continue
        for other, other_job in spec.jobs.items():
            if not other.startswith(f"{name}-"):
                continue
            rest = other.removeprefix(f"{name}-")
            # A str key can be anything; an int key only digits (and a per-key job's own names
            # add '-<key>', which no int holds).
            if key.ref.name == "str" or (
                key.ref.name == "int" and not other_job.is_per_key and rest.isdigit()
            ):
                yield Problem(
                    f"jobs.{other}",
                    f"'{other}' is also a name of job '{name}' ('{name}-<{job.per_key}>' with "
                    f"{job.per_key} '{rest}...'); the Scheduler would keep one of them: rename "
                    f"one so that it does not begin with '{name}-'",
                )


def _job_field(
    path: str, data: ModelSpec, name: str | None, kinds: frozenset[str]
) -> Iterator[Problem]:
    field = data.fields.get(name or "")
    if field is None:
        yield Problem(path, unknown("field", name or "", data.fields))
    elif field.ref.optional or field.ref.is_list or field.ref.name not in kinds:
        yield Problem(path, f"the field must be a required {' or '.join(sorted(kinds))}")


def _literal(spec: ServiceSpec, path: str, ref: TypeRef, value: object) -> Iterator[Problem]:
    """A literal of the spec (a job payload) that the generated model accepts, field by field."""
    if value is None:
        if not ref.optional:
            yield Problem(path, f"null, but the field is a required {_type_text(ref)}")
        return
    if ref.is_list:
        if not isinstance(value, list):
            yield Problem(path, f"{value!r} is not a list; write [...] of {ref.name}")
            return
        item = TypeRef(ref.name, optional=ref.item_optional)
        for index, element in enumerate(value):
            yield from _literal(spec, f"{path}[{index}]", item, element)
        return
    model = spec.payload_types().get(ref.name)
    if model is not None:
        yield from _model_literal(spec, path, ref.name, model, value)
        return
    problem = _scalar_problem(ref.name, spec.enums.get(ref.name), value)
    if problem:
        yield Problem(path, problem)


def _model_literal(
    spec: ServiceSpec, path: str, name: str, model: ModelSpec, value: object
) -> Iterator[Problem]:
    if not isinstance(value, dict):
        yield Problem(path, f"{value!r} is not a mapping; write the fields of {name}")
        return
    for key in value:
        if key not in model.fields:
            yield Problem(f"{path}.{key}", unknown("field", str(key), model.fields))
    for key, field in model.fields.items():
        if key in value:
            yield from _literal(spec, f"{path}.{key}", field.ref, value[key])
        elif not field.ref.optional:
            yield Problem(path, f"missing required field '{key}'")


_SCALAR_EXAMPLES = {
    "str": "text in quotes",
    "int": "a whole number such as 3",
    "float": "a number such as 1.5",
    "bool": "true or false",
    "datetime": "an RFC 3339 time such as 2030-01-01T09:00:00Z",
    "date": "a date such as 2030-01-01",
    "uuid": "a UUID such as 7a1c5a0e-3b1f-4f5e-9a3e-2d6f1c9b8e01",
}


def _scalar_problem(name: str, enum: list[str] | None, value: object) -> str | None:
    """What is wrong with `value` as a `name` (a scalar or an enum), or None."""
    if enum is not None:
        if isinstance(value, str) and value in enum:
            return None
        return f"{value!r} is not a {name}; write one of {', '.join(enum)}"
    if _scalar_fits(name, value):
        return None
    return f"{value!r} is not a {name}; write {_SCALAR_EXAMPLES[name]}"


def _scalar_fits(name: str, value: object) -> bool:
    match name:
        case "str":
            return isinstance(value, str)
        case "int":
            return isinstance(value, int) and not isinstance(value, bool)
        case "float":
            number = isinstance(value, int | float) and not isinstance(value, bool)
            return number and math.isfinite(value)  # type: ignore[arg-type]
        case "bool":
            return isinstance(value, bool)
        case "datetime":
            return isinstance(value, datetime) or (
                isinstance(value, str) and RFC3339.match(value) is not None
            )
        case "date":
            if isinstance(value, date):
                return not isinstance(value, datetime)
            return isinstance(value, str) and _parses(date.fromisoformat, value)
        case _:
            return isinstance(value, str) and _parses(uuid.UUID, value)


def _parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _type_text(ref: TypeRef) -> str:
    return f"list[{ref.name}]" if ref.is_list else ref.name


def _bindings(spec: ServiceSpec) -> Iterator[Problem]:
    for name, binding in spec.bindings.input.items():
        base = f"bindings.input.{name}"
        yield from _component(base, name)
        if name in ("healthz", "dapr", "events", "job"):
            yield Problem(base, f"'/{name}' is a route of the generated app; rename the binding")
        yield from _event(spec, f"{base}.data", binding.data)
        if binding.type == "bindings.cron" and binding.schedule is None:
            yield Problem(f"{base}.schedule", "a bindings.cron input needs a schedule")
        if binding.type == "bindings.cron" and binding.data is not None:
            yield Problem(
                f"{base}.data",
                "daprd's cron binding posts an empty body, so no tick would carry "
                f"{binding.data}; drop data (the handler gets the binding's name)",
            )
        yield from _actions(spec, base, binding.data, binding.actions)
    for name, out in spec.bindings.output.items():
        base = f"bindings.output.{name}"
        yield from _component(base, name)
        yield from _event(spec, f"{base}.data", out.data)
        data = spec.payload_types().get(out.data) if out.data else None
        for key, value in out.request_metadata.items():
            yield from _placeholders(f"{base}.request_metadata.{key}", out.data, data, value)
        if name in spec.bindings.input:
            yield Problem(base, f"'{name}' is also an input binding; use distinct component names")


def _delivery_actions(sub: Subscription) -> Iterator[Action]:
    """Every action a delivery of `sub` may run: its own, its routing rules' and its types'."""
    for actions in [
        sub.actions,
        *(r.actions for r in sub.rules),
        *(t.actions for t in sub.types.values()),
    ]:
        yield from actions


def _invocations(spec: ServiceSpec) -> Iterator[Problem]:
    for name, invocation in spec.invocations.items():
        base = f"invocations.{name}"
        callers = [
            topic
            for topic, sub in spec.subscriptions.items()
            if any(a.kind == "call" and a.target == name for a in _delivery_actions(sub))
        ]
        if callers and invocation.timeout_seconds >= DELIVERY_BUDGET_SECONDS:
            yield Problem(
                f"{base}.timeout_seconds",
                f"{invocation.timeout_seconds} s is not within one delivery's budget "
                f"({DELIVERY_BUDGET_SECONDS} s), and subscriptions.{callers[0]} calls it: its "
                "delivery is answered RETRY before an answer that slow arrives, on every "
                f"redelivery, so the call never completes; write less than "
                f"{DELIVERY_BUDGET_SECONDS}, or call it from a job or a method",
            )
        if invocation.app_id == spec.service.app_id:
            yield Problem(
                f"{base}.app_id",
                f"'{invocation.app_id}' is this service itself; a handler calls its own effects "
                "directly, not through Dapr",
            )
        yield from _event(spec, f"{base}.data", invocation.data)
        data = spec.payload_types().get(invocation.data)
        if invocation.idempotency_field is not None and data is not None:
            yield from _key_field(
                f"{base}.idempotency_field", invocation.data, data, invocation.idempotency_field
            )


def _methods(spec: ServiceSpec) -> Iterator[Problem]:
    for name, method in spec.methods.items():
        base = f"methods.{name}"
        owner = _reserved_route(spec, f"/{name}")
        topic = next((t for t, p in spec.publications.items() if p.route == f"/{name}"), None)
        if topic is not None:
            owner = f"the route of publication '{topic}'"
        if owner:
            yield Problem(base, f"POST /{name} is already answered by {owner}; rename the method")
        yield from _event(spec, f"{base}.event", method.event)
        data = spec.payload_types().get(method.event)
        if data is not None:
            yield from _key_field(
                f"{base}.idempotency_field", method.event, data, method.idempotency_field
            )
        yield from _actions(spec, base, method.event, method.actions)


def _key_field(path: str, event: str, data: ModelSpec, name: str) -> Iterator[Problem]:
    """An idempotency key: a required scalar field (a missing key could not be deduplicated)."""
    field = data.fields.get(name)
    if field is None:
        yield Problem(path, unknown("field", name, data.fields))
    elif field.ref.optional or field.ref.is_list or field.ref.name not in _KEY_SCALARS:
        yield Problem(
            path,
            f"{event}.{name} is '{field.type}'; an idempotency key is a required "
            f"{', '.join(sorted(_KEY_SCALARS))} field",
        )


# Anything that looks like a placeholder: '{name}', '{a.b}', '{items[0]}', '{Name}'.
_PLACEHOLDER_LIKE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\[\]]*)\}")


def _placeholders(
    path: str, event: str | None, data: ModelSpec | None, value: str
) -> Iterator[Problem]:
    fields = data.fields if data else {}
    for text in _PLACEHOLDER_LIKE.findall(value):
        if not PLACEHOLDER.fullmatch(f"{{{text}}}"):
            yield Problem(
                path,
                f"'{{{text}}}' is not a placeholder; only a top-level field of the binding's data "
                f"fits, as '{{field}}'"
                + (f" (fields of {event}: {', '.join(fields)})" if fields else ""),
            )
        elif event is not None and data is None:
            continue  # the data event is unknown (reported there) or invalid itself
        elif data is None:
            yield Problem(
                path,
                f"'{{{text}}}' is filled from the binding's data, and this binding has none; "
                "give it data or drop the placeholder",
            )
        elif text not in fields:
            yield Problem(path, unknown("field", text, fields))


def _actions(
    spec: ServiceSpec, base: str, source: str | None, actions: list[Action]
) -> Iterator[Problem]:
    for index, action in enumerate(actions):
        path = f"{base}.actions[{index}].{action.kind}"
        target, problem = _action_target(spec, action)
        if problem:
            needs = None if target is None else f"{_ACTION_SECTIONS[action.kind]}.{action.target}"
            yield Problem(path, problem, needs=needs)
        elif action.kind == "cancel":
            yield from _cancel_key(spec, path, source, action.target)
        elif target is not None:
            yield from _projection(spec, path, source, target)


def _cancel_key(spec: ServiceSpec, path: str, source: str | None, name: str) -> Iterator[Problem]:
    """A cancel names the job '<job>-<key>' from the handler's payload: the payload carries the
    job's per_key field, with the same type."""
    job = spec.jobs[name]
    data = spec.payload_types().get(job.data or "")
    wanted = data.fields.get(job.per_key or "") if data else None
    if wanted is None:
        return  # the job's data or key is invalid itself (reported there)
    have = spec.payload_types().get(source or "")
    given = have.fields.get(job.per_key or "") if have else None
    if source is None or have is None:
        if source is None:
            yield Problem(
                path,
                f"cancelling job '{name}' needs its key {job.per_key}, and this handler has no "
                "data",
            )
        return
    if given is None:
        yield Problem(
            path,
            f"job '{name}' is named by {job.data}.{job.per_key}, but '{source}' has no field "
            f"'{job.per_key}'",
        )
    elif not _same(given.ref, TypeRef(wanted.ref.name)):
        yield Problem(
            path,
            f"{job.data}.{job.per_key} is '{wanted.type}' but {source}.{job.per_key} is "
            f"'{given.type}'",
        )


_ACTION_SECTIONS = {
    "save": "state_stores",
    "schedule": "jobs",
    "cancel": "jobs",
    "publish": "publications",
    "invoke": "bindings.output",
    "call": "invocations",
}


def _action_target(spec: ServiceSpec, action: Action) -> tuple[str | None, str | None]:
    """(event the action needs, problem) for one action; ('', problem) when the target is not
    defined at all."""
    name = action.target
    match action.kind:
        case "save":
            store = spec.state_stores.get(name)
            if store is None:
                return "", unknown("state store", name, spec.state_stores)
            return store.entity, None
        case "schedule" | "cancel":
            job = spec.jobs.get(name)
            if job is None:
                return "", unknown("job", name, spec.jobs)
            if not job.is_per_key:
                verb = "scheduled" if action.kind == "schedule" else "cancelled"
                return (
                    None,
                    f"job '{name}' is a startup job; only per_key jobs are {verb} by actions",
                )
            return job.data, None
        case "publish":
            pub = spec.publications.get(name)
            if pub is None:
                return "", unknown("publication topic", name, spec.publications)
            return pub.event, None
        case "call":
            invocation = spec.invocations.get(name)
            if invocation is None:
                return "", unknown("invocation", name, spec.invocations)
            return invocation.data, None
        case _:
            out = spec.bindings.output.get(name)
            if out is None:
                return "", unknown("output binding", name, spec.bindings.output)
            return out.data, None


def _projection(spec: ServiceSpec, path: str, source: str | None, target: str) -> Iterator[Problem]:
    """The handler's payload must carry every required field of the target, with the same type."""
    types = spec.payload_types()
    if target not in types or (source is not None and source not in types):
        return
    wanted = types[target].fields
    have = types[source].fields if source else {}
    for name, field in wanted.items():
        given = have.get(name)
        if given is None:
            if not field.ref.optional:
                origin = f"'{source}'" if source else "the handler (it has no data)"
                yield Problem(
                    path, f"{target}.{name} is required but {origin} has no field '{name}'"
                )
        elif _same(given.ref, field.ref) is False:
            yield Problem(
                path, f"{target}.{name} is '{field.type}' but {source}.{name} is '{given.type}'"
            )


def _same(given: TypeRef, wanted: TypeRef) -> bool:
    if given.name != wanted.name or given.is_list != wanted.is_list:
        return False
    return wanted.optional or not given.optional


# Metadata names that hold a credential (component fields such as redisPassword, accessKey,
# connectionString, authToken, clientSecret): their value belongs in the secret store.
_CREDENTIAL = re.compile(
    r"(passw(or)?d|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential"
    r"|connection[-_]?string)",
    re.IGNORECASE,
)


# State store types whose metadata name the credential pattern matches and holds none: a SQLite
# connectionString is the database file's path.
_NO_CREDENTIAL = frozenset({("state.sqlite", "connectionString")})


def _credential(spec: ServiceSpec, base: str, component: str, key: str) -> bool:
    """`key`, written in the metadata at `base` of `component`, names a credential."""
    if base.startswith("state_stores.") and (spec.store_type(component), key) in _NO_CREDENTIAL:
        return False
    return _CREDENTIAL.search(key) is not None


def _secrets(spec: ServiceSpec) -> Iterator[Problem]:
    """Secret references name a declared secret, and no credential is written in plain text: the
    component files are committed with the service, the secrets file is not."""
    declared = spec.secrets.names if spec.secrets else {}
    for base, component, metadata in spec.component_metadata():
        for key, value in metadata.items():
            path = f"{base}.{key}"
            if isinstance(value, SecretRef):
                if spec.secrets is None:
                    # Not a problem of its own when an invalid secrets section was left out.
                    yield Problem(
                        path,
                        f"reads secret '{value.secret}', but the spec declares no secret store; "
                        f"add secrets: {{names: {{{value.secret}: <what it is>}}}}",
                        needs=f"secrets.names.{value.secret}",
                    )
                elif value.secret not in declared:
                    yield Problem(path, unknown("secret", value.secret, declared))
            elif value and _credential(spec, base, component, key):
                name = f"{component}-{snake(key).replace('_', '-')}"
                yield Problem(
                    path,
                    f"a credential in plain text would land in components/{component}.yaml, "
                    f"which is committed; declare it under secrets.names (e.g. '{name}') and "
                    f"write {key}: {{secret: {name}}}",
                )
    if spec.secrets is None:
        return
    accessors: dict[str, str] = {}
    for name in spec.secrets.names:
        method = f"get_{snake(name)}"
        if (first := accessors.setdefault(method, name)) != name:
            yield Problem(
                f"secrets.names.{name}",
                f"'{first}' and '{name}' would both be read as context.secrets.{method}(); "
                "name them apart",
            )
    store = spec.secrets.store
    others = {
        *spec.state_stores,
        spec.service.idempotency.store,
        spec.service.pubsub,
        *(spec.pubsub_of(p) for p in spec.publications.values()),
        *(spec.pubsub_of(s) for s in spec.subscriptions.values()),
        *spec.bindings.input,
        *spec.bindings.output,
    }
    if store in others:
        yield Problem(
            "secrets.store",
            f"'{store}' is already the name of another component; name the secret store apart",
        )
