"""The view of a validated spec that templates render: names, annotations and statements computed
here once, so templates stay declarative and every choice is testable in Python.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tools.codegen.quoting import pystr
from tools.codegen.routing import dead_letters, delivery_policy, guarded
from tools.codegen.stores import (
    STORES,
    ClaimProtocol,
    claim_protocol,
    require_etags,
    require_transactions,
)
from tools.specs.components import BROKERS, QUERY_PAGE_LIMIT, redelivery_window, stand_ins
from tools.specs.model import (
    BULK_LIMIT,
    PLACEHOLDER,
    Action,
    FailurePolicy,
    MetadataValue,
    ModelSpec,
    SecretRef,
    ServiceSpec,
    Subscription,
)
from tools.specs.names import enum_member, identifier, package_name, snake
from tools.specs.types import SCALARS, TypeRef

SAMPLE_UUID = "7a1c5a0e-3b1f-4f5e-9a3e-2d6f1c9b8e01"
_OTHER_SCALARS: dict[str, Any] = {
    "str": "sample-2",
    "int": 2,
    "uuid": "0b6e1f3a-5c2d-4e7f-8a9b-1c2d3e4f5a6b",
    "float": 2.5,
    "bool": False,
    "datetime": "2030-01-02T09:00:00+00:00",
    "date": "2030-01-02",
}
"""A second value of each scalar, unlike the sampler's: another key, a changed field."""
SAMPLE_DATETIME = "2030-01-01T09:00:00+00:00"
APP_CALL_RETRIES = 2
APP_CALL_MAX_INTERVAL = 2
"""daprd's retries of a call to another app (resiliency.yaml), and the longest wait between two."""


@dataclass
class Effect:
    func: str
    doc: str
    param: str
    param_type: str
    lines: list[str]
    done: str
    actions: str  # the spec's actions in one line, for the hook module's docstring


def build_context(spec: ServiceSpec) -> dict[str, Any]:
    """The template context of a validated spec."""
    types = spec.payload_types()
    package = package_name(spec.service.app_id)
    components = _components(spec)
    claims_type, protocol = _claims(spec)
    attr = {c["name"]: c["attr"] for c in components}
    effects: list[Effect] = []

    def effect(func: str, doc: str, source: str | None, actions: list[Action]) -> Effect:
        return _effect(
            spec,
            func=func,
            doc=doc,
            source=source,
            actions=actions,
            publications=pub_by_topic,
            outputs=out_by_name,
            stores=stores,
            invocations=call_by_name,
        )

    publications = [
        {
            "topic": topic,
            "event": pub.event,
            "pubsub_attr": attr[spec.pubsub_of(pub)],
            "method": f"publish_{snake(topic)}",
            "route": pub.route,
            "api_func": f"post_{snake(topic)}",
            # POST <route>/bulk: a batch published in one bulk request.
            "bulk": pub.bulk,
            "bulk_method": f"publish_{snake(topic)}_batch",
            "bulk_func": f"post_{snake(topic)}_batch",
            "key_expr": f"str(event.{pub.idempotency_field})" if pub.idempotency_field else None,
            # The CloudEvent attributes daprd takes from the publish metadata.
            "attributes": {
                f"cloudevent.{name}": value
                for name, value in (("type", pub.type), ("source", pub.source))
                if value is not None
            },
            **_changed_field(spec, pub.event, pub.idempotency_field),
        }
        for topic, pub in spec.publications.items()
    ]
    pub_by_topic = {p["topic"]: p for p in publications}

    stores = [
        {
            "attr": attr[name],
            "name": name,
            "entity": store.entity,
            "key": store.key,
            "prefix": snake(store.entity),
            "first_write": store.concurrency == "first-write",
            "ttl": store.ttl_seconds,
            # Deletes and updates leave tombstones where a write may be committed before its
            # claim: the replay of such a delivery must not restore what a client deleted or
            # replaced since (see state.py).
            "tombstones": (store.delete or store.update)
            and (name != spec.service.idempotency.store or protocol != "transaction"),
            "type": store.type,
            # The topic and pubsub its outbox publishes on (None without one).
            "outbox": store.outbox and store.outbox.topic,
            "outbox_pubsub": store.outbox and spec.pubsub_of(spec.publications[store.outbox.topic]),
            "queryable": store.query is not None,
            "query_hook_class": _query_hook_class(name) if store.query else None,
        }
        for name, store in spec.state_stores.items()
    ]
    query_routes = _query_routes(spec, attr)
    outputs = [
        {
            "name": name,
            "attr": attr[name],
            "type": out.type,
            "operation": out.operation,
            "data": out.data,
            "method": f"invoke_{snake(name)}",
            "metadata_expr": _metadata_expr(out.request_metadata),
            "component_metadata": _metadata_items(out.metadata),
            "secret_store": _secret_store(spec, out.metadata),
        }
        for name, out in spec.bindings.output.items()
    ]
    out_by_name = {o["name"]: o for o in outputs}
    call_by_name = {c["name"]: c for c in _invocations(spec)}

    jobs_startup, jobs_per_key = [], []
    for name, job in spec.jobs.items():
        if job.is_per_key:
            jobs_per_key.append(
                {
                    "name": name,
                    "data": job.data,
                    "per_key": job.per_key,
                    "due_time_field": job.due_time_field,
                    "schedule": job.schedule,
                    "repeats": job.repeats,
                    "ttl": job.ttl,
                    "recurring": job.recurring,
                    # A trigger calls the sidecar for its claim or its effects; a recurring job
                    # claims nothing, so one without actions has no call to fail.
                    "calls_sidecar": not job.recurring or bool(job.actions),
                    "prefix_const": f"{identifier(name).upper()}_PREFIX",
                    "method": f"schedule_{snake(name)}",
                    "cancel_method": f"cancel_{snake(name)}",
                    "cancelled": any(
                        a.kind == "cancel" and a.target == name for a in _all_actions(spec)
                    ),
                    # Cancelled, or scheduled by two handlers (rescheduled): what one delivery
                    # scheduled another may take back, which that delivery's replay must not
                    # undo (see jobs.py).
                    "revocable": any(
                        a.kind == "cancel" and a.target == name for a in _all_actions(spec)
                    )
                    or sum(a.kind == "schedule" and a.target == name for a in _all_actions(spec))
                    > 1,
                    "key_annotation": types[job.data or ""]
                    .fields[job.per_key or ""]
                    .ref.annotation(),
                    "effect": f"on_job_{snake(name)}",
                    "failure_policy": _failure_policy(job.failure_policy),
                    "policy": job.failure_policy,
                    # The call that commits a trigger's claim (a test fails it on purpose).
                    "commit_method": (
                        "execute_state_transaction" if protocol == "transaction" else "save_state"
                    ),
                }
            )
        else:
            jobs_startup.append(
                {
                    "name": name,
                    "schedule": job.schedule,
                    "due_time": job.due_time,
                    "repeats": job.repeats,
                    "ttl": job.ttl,
                    "data": job.data,
                    "payload": None if job.payload is None else repr(_json_data(job.payload)),
                    "recurring": job.recurring,
                    "effect": f"on_job_{snake(name)}",
                    "failure_policy": _failure_policy(job.failure_policy),
                    "policy": job.failure_policy,
                }
            )
        effects.append(
            effect(f"on_job_{snake(name)}", f"Job '{name}' fired.", job.data, job.actions)
        )

    subscriptions = []
    for topic, sub in spec.subscriptions.items():
        view, made = _subscription(
            spec, topic, sub, attr=attr, call_by_name=call_by_name, effect=effect
        )
        subscriptions.append(view)
        effects += made

    # Handlers of one payload each, called by daprd: input bindings and methods.
    inputs, methods = _inputs(spec), _methods(spec)
    effects += [effect(v["effect"], v["doc"], v["data"], v["actions"]) for v in inputs + methods]

    used_by_effects = sorted(
        {
            name
            for e in effects
            for name in re.findall(r"\b[A-Z][A-Za-z0-9]*\b", " ".join([e.param_type, *e.lines]))
            if name in types
        }
    )
    sampler = _Sampler(spec)
    checker = _Checker(spec, sampler, protocol)
    for sub in subscriptions:
        source = spec.subscriptions[sub["topic"]]
        for view in sub["types"]:
            entry = source.types[view["name"]]
            view["checks"] = checker.checks(entry.event, entry.actions)
            view["fail_method"] = checker.fail_method(entry.actions)
        # The sample's handler: the default route's, or the first type's.
        actions = source.types[sub["types"][0]["name"]].actions if sub["types"] else source.actions
        sub["checks"] = checker.checks(sub["sample_event"], actions)
        sub["fail_method"] = checker.fail_method(actions)
        for rule, view in zip(source.rules, sub["rules"], strict=True):
            view["checks"] = checker.checks(source.event, rule.actions)
    for job in jobs_per_key + jobs_startup:
        source_job = spec.jobs[job["name"]]
        # A startup job's trigger carries the spec's payload: its effects are judged on it.
        job["checks"] = checker.checks(
            source_job.data, source_job.actions, _json_data(source_job.payload)
        )
        job["fail_method"] = checker.fail_method(source_job.actions)
    for job in jobs_per_key:
        job["sample_name"] = f"{job['name']}-{sampler.payload(job['data'])[job['per_key']]}"
    for view in inputs + methods:
        view["checks"] = checker.checks(view["data"], view["actions"])
        view["fail_method"] = checker.fail_method(view["actions"])
    for out in outputs:
        out["expected_metadata"] = checker.metadata(out["name"])
    return {
        "service": {
            "app_id": spec.service.app_id,
            "title": spec.service.title,
            "description": spec.service.description,
            "port": spec.service.port,
            "package": package,
        },
        "idempotency": {
            "store": spec.service.idempotency.store,
            "attr": attr[spec.service.idempotency.store],
            "ttl": spec.service.idempotency.ttl_seconds,
            "type": claims_type,
            "protocol": protocol,
            "protocol_doc": _PROTOCOL_DOCS[protocol],
        },
        # Stable per service: a regenerated service derives the same effect ids.
        "effect_namespace": str(uuid.uuid5(uuid.NAMESPACE_URL, f"daprdev:{spec.service.app_id}")),
        "components": components,
        "enums": [
            {"name": n, "members": [{"member": enum_member(v), "value": v} for v in values]}
            for n, values in spec.enums.items()
        ],
        "models": _ordered_models(spec),
        "models_imports": _model_imports(spec),
        "publications": publications,
        "api_routes": [p for p in publications if p["route"]],
        "bulk_limit": BULK_LIMIT,
        "read_routes": _read_routes(spec, attr, {s["name"]: s["tombstones"] for s in stores}),
        "query_routes": query_routes,
        "query_samples": {
            q["store"]: repr(_query_samples(spec, sampler, q["store"])) for q in query_routes
        },
        "query_models": sorted(
            {q["entity"] for q in query_routes}
            | {f["annotation"] for q in query_routes for f in q["filters"] if f["enum"]}
        ),
        "subscriptions": subscriptions,
        # The event of every subscribed message: one CloudEvent envelope model each.
        "envelopes": sorted(
            {s["sample_event"] for s in subscriptions if not s["types"]}
            | {t["event"] for s in subscriptions for t in s["types"]}
        ),
        "dead_letters": dead_letters(subscriptions),
        "deliveries": delivery_policy(c["window"] for c in components if c.get("window")),
        "stores": stores,
        "jobs_startup": jobs_startup,
        "jobs_per_key": jobs_per_key,
        # Triggers try the longest name first: 'dunning-final-7' is not a 'dunning' job.
        "jobs_per_key_routes": sorted(jobs_per_key, key=lambda j: -len(j["name"])),
        "job_tombstones": any(j["revocable"] for j in jobs_per_key),
        "jobs_cancel_uuid": any(
            j["cancelled"] and j["key_annotation"] == "UUID" for j in jobs_per_key
        ),
        "job_sdk_names": sorted(
            {"Job"} | {_policy_class(j["policy"]) for j in jobs_startup + jobs_per_key} - {None}
        ),
        "inputs": inputs,
        "outputs": outputs,
        "invocations": list(call_by_name.values()),
        "called_apps": _called_apps(list(call_by_name.values())),
        "methods": methods,
        "app_call_retries": APP_CALL_RETRIES,
        "app_call_max_interval": APP_CALL_MAX_INTERVAL,
        "output_models": sorted({o["data"] for o in outputs if o["data"]}),
        "trigger_models": sorted(
            {j["data"] for j in jobs_startup + jobs_per_key if j["data"]}
            | {i["data"] for i in inputs if i["data"]}
        ),
        "has_triggers": bool(jobs_startup or jobs_per_key or inputs),
        "effects": effects,
        "effect_models": used_by_effects
        + (["project"] if any("project(" in line for e in effects for line in e.lines) else []),
        "samples": {name: repr(sampler.payload(name)) for name in types},
        # Per store, a sample entity under another key (two keys saved by one delivery).
        "second_samples": {
            name: repr(
                sampler.payload(store.entity)
                | {store.key: _OTHER_SCALARS[types[store.entity].fields[store.key].ref.name]}
            )
            for name, store in spec.state_stores.items()
        },
        # Per store with an update route, its sample with another field changed (a correction).
        "changed_samples": {
            name: repr(_changed(spec, sampler.payload(store.entity), store.entity, store.key))
            for name, store in spec.state_stores.items()
            if store.update
        },
        "secrets": None
        if spec.secrets is None
        else {
            "store": spec.secrets.store,
            "type": spec.secrets.type,
            "file": spec.secrets.file,
            "sample_file": spec.secrets.sample_file,
            # Per name, what it is and the component fields that read it (where it goes).
            "names": [
                {"name": name, "what": what, "read_by": _secret_readers(spec, name)}
                for name, what in sorted(spec.secrets.names.items())
            ],
            # The hooks' typed accessors: name, method, docstring.
            "accessors": [
                {"name": name, "method": f"get_{snake(name)}", "what": what[:1].upper() + what[1:]}
                for name, what in sorted(spec.secrets.names.items())
            ],
            "attr": attr[spec.secrets.store],
            # Every name the components read, each value left for the user to fill in.
            "sample_json": json.dumps(dict.fromkeys(sorted(spec.secrets.names), ""), indent=2),
        },
    }


def _subscription(
    spec: ServiceSpec,
    topic: str,
    sub: Subscription,
    *,
    attr: dict[str, str],
    call_by_name: dict[str, dict[str, Any]],
    effect: Callable[[str, str, str | None, list[Action]], Effect],
) -> tuple[dict[str, Any], list[Effect]]:
    """The view of one subscription, and the effects of its handlers (one per route or type)."""
    types = spec.payload_types()
    made: list[Effect] = []
    path = f"/events/{topic}"
    routes = [
        {
            "path": path,
            "func": f"on_{snake(topic)}",
            "effect": f"on_{snake(topic)}",
            "doc": f"Deliveries of '{topic}' that match no rule.",
        }
    ]
    # A topic of several event types: one route, each message handed to the effect of its
    # CloudEvent type.
    typed = [
        {
            "name": name,
            "type": entry.type,
            "event": entry.event,
            "effect": f"on_{snake(topic)}_{name}",
        }
        for name, entry in sub.types.items()
    ]
    for handler in typed:
        arrived = f"A {handler['event']} of type '{handler['type']}' arrived on '{topic}'."
        entry = sub.types[handler["name"]]
        made.append(effect(handler["effect"], arrived, entry.event, entry.actions))
    if typed:
        routes[0] |= {"effect": None, "doc": f"Deliveries of '{topic}', by CloudEvent type."}
    else:
        arrived = f"A {sub.event} arrived on '{topic}'."
        made.append(effect(f"on_{snake(topic)}", arrived, sub.event, sub.actions))
    # The event (and CloudEvent type) the generated tests deliver as this topic's sample.
    sample_event = typed[0]["event"] if typed else str(sub.event)
    rules = []
    for rule in sub.rules:
        func = f"on_{snake(topic)}_{rule.name}"
        rules.append(
            {
                "match": guarded(rule.match),
                "spec_match": rule.match,
                "path": f"{path}/{rule.name}",
                "name": rule.name,
            }
        )
        routes.append(
            {
                "path": f"{path}/{rule.name}",
                "func": func,
                "effect": func,
                "doc": f"Deliveries of '{topic}' matching: {rule.match}",
            }
        )
        matched = f"A {sub.event} on '{topic}' matched rule '{rule.name}'."
        made.append(effect(func, matched, sub.event, rule.actions))
    return {
        "topic": topic,
        "event": sub.event,
        "pubsub_attr": attr[spec.pubsub_of(sub)],
        "pubsub": spec.pubsub_of(sub),
        "dlq": sub.dead_letter_topic,
        "claim_field": sub.idempotency_field,
        "types": typed,
        "sample_event": sample_event,
        "sample_type": typed[0]["type"] if typed else None,
        "aliased": any(f.alias for f in types[sample_event].fields.values()),
        "path": path,
        "rules": rules,
        "routes": routes,
        "calls": _handler_calls(topic, sub, call_by_name),
    }, made


def _handler_calls(
    topic: str, sub: Subscription, call_by_name: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The `call:` actions of a subscription's handlers (its one event's or each type's, and each
    routing rule's), each with what its generated tests deliver: the handler's name and route,
    its event and CloudEvent type. A rule's route is posted to directly: daprd matches the rule."""
    path = f"/events/{topic}"
    handlers = [
        (f"on_{snake(topic)}_{name}", path, entry.event, entry.type, entry.actions)
        for name, entry in sub.types.items()
    ] or [(f"on_{snake(topic)}", path, str(sub.event), "com.dapr.event.sent", sub.actions)]
    handlers += [
        (
            f"on_{snake(topic)}_{rule.name}",
            f"{path}/{rule.name}",
            str(sub.event),
            "com.dapr.event.sent",
            rule.actions,
        )
        for rule in sub.rules
    ]
    return [
        {
            "handler": handler,
            "path": route,
            "event": event,
            "type": kind,
            **call_by_name[action.target],
        }
        for handler, route, event, kind, actions in handlers
        for action in actions
        if action.kind == "call"
    ]


def _invocations(spec: ServiceSpec) -> list[dict[str, Any]]:
    """The calls to other apps, one Invoker method each."""
    return [
        {
            "name": name,
            "app_id": call.app_id,
            "method": call.method,
            "verb": call.http_verb,
            "data": call.data,
            "timeout": call.timeout_seconds,
            # The app outwaits daprd's attempts and the pauses between them, so daprd answers.
            "deadline": call.timeout_seconds * (APP_CALL_RETRIES + 1)
            + APP_CALL_RETRIES * APP_CALL_MAX_INTERVAL
            + 1,
            "func": f"call_{snake(name)}",
            "key_field": call.idempotency_field,
            "key_expr": f"str(data.{call.idempotency_field})" if call.idempotency_field else None,
        }
        for name, call in spec.invocations.items()
    ]


def _called_apps(invocations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each called app once, bounded by the longest timeout of its invocations."""
    apps = sorted({c["app_id"] for c in invocations})
    return [
        {"app_id": app, "timeout": max(c["timeout"] for c in invocations if c["app_id"] == app)}
        for app in apps
    ]


def _inputs(spec: ServiceSpec) -> list[dict[str, Any]]:
    """The input bindings: daprd POSTs each event to /<name>."""
    return [
        {
            "name": name,
            "type": binding.type,
            "schedule": binding.schedule,
            "metadata": _metadata_items(binding.metadata),
            "secret_store": _secret_store(spec, binding.metadata),
            "data": binding.data,
            "actions": binding.actions,
            "func": f"on_{snake(name)}",
            "effect": f"on_binding_{snake(name)}",
            "doc": f"Input binding '{name}' delivered an event.",
        }
        for name, binding in spec.bindings.input.items()
    ]


def _methods(spec: ServiceSpec) -> list[dict[str, Any]]:
    """The methods other apps call: POST /<name>, claimed by the idempotency field."""
    return [
        {
            "name": name,
            "event": method.event,
            "data": method.event,
            "actions": method.actions,
            "key_field": method.idempotency_field,
            "func": f"post_{snake(name)}",
            "effect": f"on_method_{snake(name)}",
            "doc": f"Another app called method '{name}' with a {method.event}.",
        }
        for name, method in spec.methods.items()
    ]


def _read_routes(
    spec: ServiceSpec, attr: dict[str, str], tombstones: dict[str, bool]
) -> list[dict[str, Any]]:
    """GET <read_route>/{key} of each store that declares one, DELETE and PUT where it says so."""
    types = spec.payload_types()
    return [
        {
            "path": f"{store.read_route}/{{{store.key}}}",
            "func": f"read_{snake(name)}",
            "attr": attr[name],
            "store": name,
            "entity": store.entity,
            "key": store.key,
            "key_annotation": types[store.entity].fields[store.key].ref.annotation(),
            "delete_func": f"delete_{snake(name)}" if store.delete else None,
            "update_func": f"update_{snake(name)}" if store.update else None,
            "outbox": store.outbox and store.outbox.topic,
            "tombstones": tombstones[name],
        }
        for name, store in spec.state_stores.items()
        if store.read_route
    ]


def _query_routes(spec: ServiceSpec, attr: dict[str, str]) -> list[dict[str, Any]]:
    """GET <query.route> of each store that declares a query: its filters (by JSON name, typed
    and converted to what the query compares) and the sort keys a request may name."""
    routes = []
    for name, store in spec.state_stores.items():
        if store.query is None:
            continue
        entity = spec.payload_types()[store.entity]
        filters = []
        for field in store.query.filters:
            ref = entity.fields[field].ref
            annotation = SCALARS.get(ref.name, ref.name)
            param = identifier(field, _QUERY_PARAMS)
            values = (
                f"[str(v) for v in {param} or []]"
                if annotation == "UUID"
                else f"list({param} or [])"
            )
            filters.append(
                {
                    "name": param,
                    "json": entity.json_name(field),
                    "annotation": annotation,
                    "enum": ref.name in spec.enums,
                    "expr": values,
                }
            )
        sort_keys = [entity.json_name(f) for f in store.query.sort]
        routes.append(
            {
                "path": store.query.route,
                "func": f"query_{snake(name)}",
                "attr": attr[name],
                "store": name,
                "entity": store.entity,
                "key": store.key,
                "page_model": f"{store.entity}Page",
                "hook_class": _query_hook_class(name),
                "filters": filters,
                "sort_keys": [k for key in sort_keys for k in (key, f"-{key}")],
                "limit": store.query.limit,
                "max_limit": QUERY_PAGE_LIMIT,
            }
        )
    return routes


def _query_hook_class(store: str) -> str:
    """The class of a queried store as a hook sees it (hooks.py): its query as a typed method."""
    return "Queried" + "".join(word.capitalize() for word in snake(store).split("_"))


def _query_samples(spec: ServiceSpec, sampler: _Sampler, name: str) -> list[dict[str, Any]]:
    """Three entities of a queried store under three keys, ordered alike by every sort field;
    the second with another value of the first filter field (when that is not the key)."""
    store = spec.state_stores[name]
    assert store.query is not None
    fields = spec.payload_types()[store.entity].fields
    first = store.query.filters[0] if store.query.filters else None
    samples = []
    for i in range(3):
        sample = sampler.payload(store.entity)
        for field in dict.fromkeys([store.key, *store.query.sort]):
            sample[field] = _nth(spec, fields[field].ref, i)
        if i == 1 and first is not None and first != store.key:
            ref = fields[first].ref
            values = spec.enums.get(ref.name, [])
            other = values[1] if len(values) > 1 else _OTHER_SCALARS.get(ref.name)
            sample[first] = sample[first] if other is None else other
        samples.append(sample)
    return samples


def _nth(spec: ServiceSpec, ref: TypeRef, i: int) -> Any:
    """The i-th of ascending values of a key or sort field's type (str, int, uuid, date, enum)."""
    if ref.name in spec.enums:
        values = sorted(spec.enums[ref.name])
        return values[min(i, len(values) - 1)]
    return {
        "str": f"q-{i}",
        "int": 10 + i,
        "uuid": f"00000000-0000-4000-8000-00000000000{i}",
        "date": f"2030-01-0{i + 1}",
    }[ref.name]


# The query route's own parameters: a filter field named like one gets a trailing '_' in Python.
_QUERY_PARAMS = frozenset({"services", "sort", "limit", "token"})


def _changed(spec: ServiceSpec, sample: dict[str, Any], entity: str, key: str) -> dict[str, Any]:
    """`sample` of `entity` with its first scalar or enum field other than `key` given another
    value; as it is when there is none (a PUT of the same value still makes a new version)."""
    for name, field in spec.payload_types()[entity].fields.items():
        ref = field.ref
        if name == key or ref.is_list:
            continue
        if ref.name in _OTHER_SCALARS:
            return sample | {name: _OTHER_SCALARS[ref.name]}
        values = spec.enums.get(ref.name, [])
        if len(values) > 1:
            return sample | {name: values[1]}
    return sample


def _all_actions(spec: ServiceSpec) -> list[Action]:
    """Every action of every handler the spec declares."""
    actions = [a for job in spec.jobs.values() for a in job.actions]
    actions += [a for b in spec.bindings.input.values() for a in b.actions]
    actions += [a for m in spec.methods.values() for a in m.actions]
    for sub in spec.subscriptions.values():
        actions += sub.actions + [a for rule in sub.rules for a in rule.actions]
        actions += [a for entry in sub.types.values() for a in entry.actions]
    return actions


def _metadata_items(metadata: dict[str, MetadataValue]) -> list[dict[str, str]]:
    """Component metadata entries in name order: a `value`, or the `secret` it is read from."""
    return [
        {"name": key, "secret": value.secret}
        if isinstance(value, SecretRef)
        else {"name": key, "value": value}
        for key, value in sorted(metadata.items())
    ]


def _secret_readers(spec: ServiceSpec, secret: str) -> list[str]:
    """Where `secret` goes: each component field reading it, `field` of `components/<name>.yaml`."""
    return [
        f"`{key}` of `components/{component}.yaml`"
        for _, component, metadata in spec.component_metadata()
        for key, value in sorted(metadata.items())
        if isinstance(value, SecretRef) and value.secret == secret
    ]


def _secret_store(spec: ServiceSpec, metadata: dict[str, MetadataValue]) -> str | None:
    """The component's `auth.secretStore`: the spec's store when any value is read from it."""
    reads = any(isinstance(value, SecretRef) for value in metadata.values())
    return spec.secrets.store if reads and spec.secrets else None


_PROTOCOL_DOCS: dict[ClaimProtocol, str] = {
    "transaction": "honours first-write inside a\ntransaction: the claim (first-write) and the "
    "state changes are ONE transaction, so a crash before\nit leaves nothing and a crash after "
    "it leaves the claim, which a redelivery finds.",
    "claim-last": "honours first-write on a single key\nonly, not inside a transaction: the "
    "state changes are idempotent upserts written first and the claim\nlast, with "
    "first-write, so a crash before it repeats the same writes.",
}


def _claims(spec: ServiceSpec) -> tuple[str, ClaimProtocol]:
    """The claims' store type and protocol (the store capability table's); SpecError for an
    unsafe store."""
    for name, store in spec.state_stores.items():
        if store.concurrency == "first-write":
            require_etags(store.type, where=f"state_stores.{name}.type")
        if store.outbox is not None:
            require_transactions(store.type, where=f"state_stores.{name}.outbox")
    claims_type = spec.store_type(spec.service.idempotency.store)
    return claims_type, claim_protocol(claims_type, where="service.idempotency.store")


# Attributes of the generated Settings next to the component names; a component named like one of
# these gets a trailing '_' in Python (its Dapr name is unchanged).
_SETTINGS_FIELDS = frozenset(
    {
        "app_api_token", "call_timeout_seconds", "claim_ttl_seconds",
        "dapr_api_token", "dapr_http_endpoint", "delivery_timeout_seconds", "from_env",
        "log_level", "programmatic_subscriptions", "retry_attempts", "retry_base_delay",
        "retry_max_delay", "sidecar_health_interval", "sidecar_probe_interval",
    }
)  # fmt: skip


def _components(spec: ServiceSpec) -> list[dict[str, str]]:
    names: dict[str, str] = {}
    for pub in spec.publications.values():
        names.setdefault(spec.pubsub_of(pub), "pubsub")
    for sub in spec.subscriptions.values():
        names.setdefault(spec.pubsub_of(sub), "pubsub")
    for store in spec.state_stores:
        names.setdefault(store, "state")
    names.setdefault(spec.service.idempotency.store, "state")
    for out in spec.bindings.output:
        names.setdefault(out, "output")
    if spec.secrets is not None:
        names.setdefault(spec.secrets.store, "secretstore")
    views = []
    for n, kind in names.items():
        view: dict[str, Any] = {
            "name": n,
            "kind": kind,
            "attr": identifier(n, _SETTINGS_FIELDS),
            "env": f"COMPONENT_{snake(n).upper()}",
        }
        if kind == "pubsub":
            view |= _pubsub_view(spec, n)
        if kind == "state":
            state_type = spec.store_type(n)
            view["type"] = state_type
            known = STORES.get(state_type)
            view["stand_ins"] = stand_ins(state_type) if known else ()
            store = spec.state_stores.get(n)
            written: dict[str, MetadataValue] = dict(store.metadata) if store else {}
            metadata: dict[str, MetadataValue] = dict(known.local_metadata) if known else {}
            metadata |= written
            # Tables of its own: a query sees this store's items, no other store's or app's.
            table = re.sub(r"[^a-z0-9_]", "_", f"{spec.service.app_id}_{n}")
            for metadata_name, suffix in known.table_metadata if known else ():
                metadata[metadata_name] = f"{table}{suffix}"
            if store is not None and store.outbox is not None:
                metadata |= _outbox_metadata(spec, store.outbox.topic)
            view["metadata"] = _metadata_items(metadata)
            view["secret_store"] = _secret_store(spec, written)
        views.append(view)
    return views


def _pubsub_view(spec: ServiceSpec, name: str) -> dict[str, Any]:
    """A pub/sub component's type, metadata (the type's local defaults under the spec's own) and
    redelivery window in seconds (None when its broker never redelivers)."""
    pubsub_type = spec.pubsub_type(name)
    entry = spec.pubsubs.get(name)
    written: dict[str, MetadataValue] = dict(entry.metadata) if entry else {}
    metadata = dict(BROKERS[pubsub_type].local_metadata) | written
    texts = {k: v for k, v in metadata.items() if isinstance(v, str)}
    return {
        "type": pubsub_type,
        "metadata": _metadata_items(metadata),
        "secret_store": _secret_store(spec, written),
        "window": redelivery_window(pubsub_type, texts),
    }


def _outbox_metadata(spec: ServiceSpec, topic: str) -> dict[str, str]:
    """Dapr's outbox settings of a store publishing on `topic`. daprd sends each upsert to its
    internal topic before the store commits; for a transaction the store refused, its marker
    never appears, and without the discard daprd would redeliver that message to itself for good
    (it publishes nothing either way)."""
    return {
        "outboxPublishPubsub": spec.pubsub_of(spec.publications[topic]),
        "outboxPublishTopic": topic,
        "outboxDiscardWhenMissingState": "true",
    }


def _failure_policy(policy: FailurePolicy | None) -> str:
    if policy is None:
        return "None"
    if policy.drop:
        return "DropFailurePolicy()"
    assert policy.constant is not None
    retries = policy.constant.max_retries
    return (
        f"ConstantFailurePolicy(max_retries={retries}, "
        f"interval_seconds={policy.constant.interval_seconds})"
    )


def _policy_class(policy: FailurePolicy | None) -> str | None:
    if policy is None:
        return None
    return "DropFailurePolicy" if policy.drop else "ConstantFailurePolicy"


def _metadata_expr(metadata: dict[str, str]) -> str:
    """The request metadata as a Python dict literal; `{field}` placeholders as an f-string."""
    items = []
    for key, value in sorted(metadata.items()):
        if PLACEHOLDER.search(value):
            # Literal text between placeholders keeps its braces by doubling them; the quoting of
            # the whole is pystr's, so quotes and backslashes in the text stay what they were.
            parts = PLACEHOLDER.split(value)
            text = "".join(
                "{data." + part + "}" if odd else part.replace("{", "{{").replace("}", "}}")
                for odd, part in ((i % 2 == 1, part) for i, part in enumerate(parts))
            )
            items.append(f"{pystr(key)}: f{pystr(text)}")
        else:
            items.append(f"{pystr(key)}: {pystr(value)}")
    return "{" + ", ".join(items) + "}"


def _json_data(value: Any) -> Any:
    """YAML data as the JSON it is sent as: dates and times in ISO 8601, as Pydantic writes them."""
    if isinstance(value, dict):
        return {str(k): _json_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_data(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _effect(
    spec: ServiceSpec,
    *,
    func: str,
    doc: str,
    source: str | None,
    actions: list[Action],
    publications: dict[str, dict[str, Any]],
    outputs: dict[str, dict[str, Any]],
    stores: list[dict[str, Any]],
    invocations: dict[str, dict[str, Any]],
) -> Effect:
    param = "event"  # the hook's first parameter, whatever the handler's kind
    lines = []
    for action in actions:
        match action.kind:
            case "save":
                store = next(s for s in stores if s["name"] == action.target)
                arg = _project(source, store["entity"])
                lines.append(f"context.state.{store['attr']}.save({arg})")
            case "schedule":
                job = spec.jobs[action.target]
                arg = _project(source, job.data or "")
                lines.append(f"await context.jobs.schedule_{snake(action.target)}({arg})")
            case "cancel":
                job = spec.jobs[action.target]
                lines.append(
                    f"await context.jobs.cancel_{snake(action.target)}(event.{job.per_key})"
                )
            case "publish":
                pub = publications[action.target]
                args = _project(source, pub["event"])
                if not pub["key_expr"]:  # no business key: an id derived from the delivery
                    args += f", event_id=context.event_id({pystr(action.target)})"
                lines.append(f"await context.publisher.{pub['method']}({args})")
            case "call":
                call = invocations[action.target]
                args = _project(source, call["data"])
                if not call["key_expr"]:  # no business key: a key derived from the delivery
                    args += f", idempotency_key=context.call_key({pystr(action.target)})"
                lines.append(f"await context.invoker.{call['func']}({args})")
            case _:
                out = outputs[action.target]
                if out["data"]:
                    arg = _project(source, out["data"])
                elif source:
                    arg = pystr(func)
                else:
                    arg = "event"
                lines.append(f"await context.bindings.{out['method']}({arg})")
    return Effect(
        func=func,
        doc=doc,
        param=param,
        param_type=source or "str",
        lines=lines,
        done=f"{func} done",
        actions=", ".join(f"{a.kind}: {a.target}" for a in actions) or "none",
    )


def _project(source: str | None, target: str) -> str:
    if source == target:
        return "event"
    if source is None:
        return f"{target}()"  # a handler without data: the spec checked every field is optional
    return f"project(event, {target})"


def _ordered_models(spec: ServiceSpec) -> list[dict[str, Any]]:
    """Nested models before the models that use them (events last), so no forward references."""
    all_models = spec.payload_types()
    ordered: list[str] = []

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in ordered or name in trail or name not in all_models:
            return
        for f in all_models[name].fields.values():
            visit(f.ref.name, (*trail, name))
        ordered.append(name)

    for name in [*spec.models, *spec.events]:
        visit(name, ())
    return [_model_view(name, all_models[name]) for name in ordered]


def _model_view(name: str, model: ModelSpec) -> dict[str, Any]:
    return {
        "name": name,
        "description": model.description.strip(),
        "fields": [
            {
                "name": fname,
                "annotation": f.ref.annotation(),
                "optional": f.ref.optional,
                "description": f.description.strip(),
                "alias": f.alias,
            }
            for fname, f in model.fields.items()
        ],
    }


def _model_imports(spec: ServiceSpec) -> dict[str, bool]:
    used = {f.ref.name for m in spec.payload_types().values() for f in m.fields.values()}
    described = any(
        f.description.strip() or f.alias
        for m in spec.payload_types().values()
        for f in m.fields.values()
    )
    return {
        "datetime": "datetime" in used,
        "date": "date" in used,
        "uuid": "uuid" in used,
        "field": described,
    }


class _Sampler:
    """Deterministic valid payloads for the generated tests."""

    _scalars: dict[str, Any] = {  # noqa: RUF012 - read-only table
        "str": "sample",
        "int": 1,
        "float": 1.5,
        "bool": True,
        "datetime": SAMPLE_DATETIME,
        "date": SAMPLE_DATETIME[:10],
        "uuid": SAMPLE_UUID,
    }

    def __init__(self, spec: ServiceSpec) -> None:
        self._types = spec.payload_types()
        self._enums = spec.enums

    def payload(self, name: str, trail: tuple[str, ...] = ()) -> dict[str, Any]:
        return {
            fname: self._value(f.ref, (*trail, name))
            for fname, f in self._types[name].fields.items()
        }

    def _value(self, ref: TypeRef, trail: tuple[str, ...]) -> Any:
        if ref.name in trail and ref.optional:
            return None  # a recursive model: stop at the first optional self-reference
        if ref.is_list:
            return [self._value(TypeRef(ref.name), trail)]
        if ref.name in self._scalars:
            return self._scalars[ref.name]
        if ref.name in self._enums:
            return self._enums[ref.name][0]
        return self.payload(ref.name, trail)


# Scalars whose sample value is the JSON a model dumps for it.
_PLAIN_JSON = frozenset({"str", "int", "float", "bool", "date", "uuid"})


def _any(name: str, records: str, conditions: list[str], sent: list[tuple[str, Any]]) -> str:
    """`any(...)` over the fake's `records`: one was made under `conditions` and carried `sent`."""
    carried = [_equals(f"{name}.data[{pystr(field)}]", value) for field, value in sent]
    return f"any({' and '.join([*conditions, *carried])} for {name} in {records})"


def _equals(expression: str, value: Any) -> str:
    """`expression` holds `value` (JSON's true and false by identity, as ruff asks)."""
    return f"{expression} is {value!r}" if isinstance(value, bool) else f"{expression} == {value!r}"


class _Checker:
    """Assertions the generated tests make about a handler's effects, from the spec's actions."""

    def __init__(self, spec: ServiceSpec, sampler: _Sampler, protocol: ClaimProtocol) -> None:
        self._spec = spec
        self._sampler = sampler
        self._protocol = protocol

    def checks(
        self, source: str | None, actions: list[Action], sent: dict[str, Any] | None = None
    ) -> list[str]:
        """`sent`: the payload the test sends, when it is not the source's sample."""
        sample = sent if sent is not None else self._sampler.payload(source) if source else {}
        lines = []
        for action in actions:
            match action.kind:
                case "save":
                    store = self._spec.state_stores[action.target]
                    key = f"{snake(store.entity)}:{sample[store.key]}"
                    lines.append(f"dapr.stored({pystr(action.target)}, {pystr(key)}) is not None")
                    if store.outbox is not None:
                        # Its outbox published the saved entity, with its key.
                        entity = self._spec.payload_types()[store.entity]
                        lines.append(
                            f"any(p.topic == {pystr(store.outbox.topic)} and "
                            f"p.data[{pystr(entity.json_name(store.key))}] == "
                            f"{sample[store.key]!r} for p in dapr.published)"
                        )
                case "schedule":
                    job = self._spec.jobs[action.target]
                    name = f"{action.target}-{sample[job.per_key or '']}"
                    lines.append(f"{pystr(name)} in dapr.jobs")
                    # What the job will carry to its trigger, and when it is due.
                    lines += [
                        _equals(f"dapr.job_data({pystr(name)})[{pystr(field)}]", value)
                        for field, value in self._sent(sample, job.data)
                    ]
                    if job.schedule is not None:
                        lines.append(f"dapr.jobs[{pystr(name)}].schedule == {pystr(job.schedule)}")
                    elif job.due_time_field and job.due_time_field in sample:
                        due = sample[job.due_time_field]
                        lines.append(f"dapr.is_due_at({pystr(name)}, {pystr(due)})")
                case "cancel":
                    job = self._spec.jobs[action.target]
                    name = f"{action.target}-{sample[job.per_key or '']}"
                    # The job of this key was asked to go, and is gone.
                    lines.append(f"({pystr('delete_job')}, {pystr(name)}) in dapr.calls")
                    lines.append(f"{pystr(name)} not in dapr.jobs")
                case "publish":
                    pub = self._spec.publications[action.target]
                    sent = self._sent(sample, pub.event)
                    lines.append(
                        _any("p", "dapr.published", [f"p.topic == {pystr(action.target)}"], sent)
                    )
                case "call":
                    call = self._spec.invocations[action.target]
                    sent = self._sent(sample, call.data)
                    keyed = call.idempotency_field
                    data = self._spec.payload_types()[call.data]
                    key = dict(sent).get(data.json_name(keyed)) if keyed else None
                    conditions = [
                        f"c.app_id == {pystr(call.app_id)}",
                        f"c.method == {pystr(call.method)}",
                        f"c.verb == {pystr(call.http_verb)}",
                        # The callee claims the key: its business key, else one of the delivery.
                        f"c.headers.get({pystr('idempotency-key')}) == {pystr(str(key))}"
                        if key is not None
                        else f"c.headers.get({pystr('idempotency-key')})",
                    ]
                    lines.append(_any("c", "dapr.method_calls", conditions, sent))
                case _:
                    out = self._spec.bindings.output[action.target]
                    conditions = [
                        f"i.binding == {pystr(action.target)}",
                        f"i.operation == {pystr(out.operation)}",
                    ]
                    sent = self._sent(sample, out.data)
                    lines.append(_any("i", "dapr.invocations", conditions, sent))
        return lines

    def _sent(self, sample: dict[str, Any], target: str | None) -> list[tuple[str, Any]]:
        """The fields of `target` a handler fills from its event's sample (same names), by their
        JSON names, with their values: those whose JSON reads back as the sample wrote it (no
        datetime, no list, model or optional field)."""
        if target is None:
            return []
        model = self._spec.payload_types()[target]
        return [
            (model.json_name(name), sample[name])
            for name, field in model.fields.items()
            if name in sample
            and not (field.ref.is_list or field.ref.optional)
            and (field.ref.name in _PLAIN_JSON or field.ref.name in self._spec.enums)
        ]

    def _queried(self, store: str) -> bool:
        """A store with a query route: its saves are plain saves, never in a transaction."""
        return self._spec.state_stores[store].query is not None

    def fail_method(self, actions: list[Action]) -> str:
        """The Dapr call the first effect makes (its failure makes the handler retry)."""
        if actions and actions[0].kind == "save" and self._queried(actions[0].target):
            return "save_state"  # a store with a query route is written by plain saves
        if self._protocol == "transaction" and (not actions or actions[0].kind == "save"):
            return "execute_state_transaction"  # staged saves and the claim: one commit
        if not actions:
            return "save_state"
        first = actions[0]
        if first.kind == "save" and (
            self._spec.state_stores[first.target].concurrency == "last-write"
            or self._inserts_only(actions)
        ):
            return "save_state"
        return {
            "save": "get_state",
            "schedule": "schedule_job",
            "cancel": "delete_job",
            "publish": "publish_event",
            "invoke": "invoke_binding",
            "call": "invoke_method",
        }[actions[0].kind]

    def _inserts_only(self, actions: list[Action]) -> bool:
        """On a claim-last store, a delivery whose every action is a save to a first-write store
        whose items do not expire (and no outbox) starts with its first unread insert: its claim
        is looked up only when an insert is refused (Claims._looks_up_first in state.py)."""
        stores = self._spec.state_stores
        return all(
            a.kind == "save"
            and stores[a.target].concurrency == "first-write"
            and not stores[a.target].ttl_seconds
            and not stores[a.target].outbox
            for a in actions
        )

    def metadata(self, binding: str) -> dict[str, str]:
        """The request metadata a sample payload produces (placeholders as Python formats them)."""
        out = self._spec.bindings.output[binding]
        sample = self._sampler.payload(out.data) if out.data else {}
        fields = self._spec.payload_types()[out.data].fields if out.data else {}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return _python_str(fields[name].ref, sample[name])

        return {k: PLACEHOLDER.sub(fill, v) for k, v in sorted(out.request_metadata.items())}


_OTHER_VALUES: dict[str, Any] = {
    "str": "another",
    "int": 2,
    "bool": False,
    "uuid": "0b8f4c1e-5d2a-4e6b-8c3f-7a9d1e2f3b4c",
}
"""Valid values unlike the sampler's, for a test that needs a second, different body."""


def _changed_field(spec: ServiceSpec, event: str, key: str | None) -> dict[str, str | None]:
    """A field to change (the business key first) and its other value, as a Python literal."""
    fields = spec.payload_types()[event].fields
    order = [key] if key else []
    order += [name for name in fields if name != key]
    for name in order:
        ref = fields[name].ref
        if not ref.is_list and ref.name in _OTHER_VALUES:
            return {"changed_field": name, "changed_value": repr(_OTHER_VALUES[ref.name])}
    return {"changed_field": None, "changed_value": None}


def _python_str(ref: TypeRef, value: Any) -> str:
    """str() of the value the generated model holds for a JSON sample value."""
    if ref.name == "datetime" and isinstance(value, str):
        return str(datetime.fromisoformat(value))
    if ref.name == "uuid" and isinstance(value, str):
        return str(uuid.UUID(value))
    return str(value)
