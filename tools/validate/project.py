"""The project-level delivery check: every file's `DeliveryFacts` joined into findings.

It answers three questions no single file can: which POST routes Dapr delivers to (a route's
deferred delivery findings hold there), which routes Dapr is told to call that nothing serves
(DAPR030), and which scheduled jobs no trigger handler receives (DAPR012). Routes get their final
paths by following `include_router(prefix=...)` and `mount(...)` from each router to the apps that
include it, per router, across modules.

The check is lenient where the project cannot be known: a route on an object it cannot place
counts as served at its own path, and "nothing serves it" is said only when the project has an
app and every router include could be followed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import PurePosixPath

from tools.changes import Diagnostic
from tools.validate.blocking import ModulePaths, blocking_findings, resolve_call
from tools.validate.deliveries import (
    UNSERVED_RULE,
    Declared,
    DeliveryFacts,
    JobCallback,
    ServedRoute,
)
from tools.validate.envelopes import envelope_findings
from tools.validate.kept_clients import kept_client_findings
from tools.validate.payload_reads import payload_read_findings
from tools.validate.quiet_helpers import quiet_findings
from tools.validate.rules._jobs import looks_like_job_callback
from tools.validate.rules.unserved_route import UnservedRoute
from tools.validate.state_helpers import state_findings
from tools.validate.unawaited import unawaited_findings

_PARAMETER = re.compile(r"\{[^}/]+\}|<[^>/]+>")


def project_findings(
    facts: Mapping[str, DeliveryFacts],
    *,
    report_in: Collection[str],
    disabled: Collection[str] = (),
) -> list[Diagnostic]:
    """The cross-file findings of the files in `report_in`, given the facts of every known file."""
    project = _Project(facts)
    types = {path: _types(file) for path, file in facts.items()}
    findings: list[Diagnostic] = []
    findings += _delegated_findings(facts, project, types, set(report_in))
    for path in report_in:
        file = facts.get(path)
        if file is None:
            continue
        for route in file.routes:
            findings += project.deferred_findings(path, route)
        if UNSERVED_RULE not in disabled and project.closed:
            findings += [
                unserved_diagnostic(declared)
                for declared in file.declared
                # An input binding's route is probed with OPTIONS at startup: unserved, it is
                # never triggered - unless a gRPC app of the project takes bindings as events.
                if (declared.kind == "pubsub" or not project.has_grpc_app)
                and declared.kind in ("pubsub", "cron", "binding")
                and not declared.site.suppressed
                and project.may_receive(declared)
                # Built at run time (`f"/events/{topic}"`): which route it is, is not known.
                and not _PARAMETER.search(declared.path)
                and not project.serves(declared.path)
            ]
        findings += project.job_findings(path, file)
    findings += blocking_findings(
        {path: file.blocking for path, file in facts.items() if file.blocking is not None},
        {path: file.module for path, file in facts.items()},
        report_in=set(report_in),
        disabled=set(disabled),
    )
    findings += state_findings(
        {path: file.state for path, file in facts.items() if file.state is not None},
        {path: file.module for path, file in facts.items()},
        types,
        report_in=set(report_in),
    )
    findings += quiet_findings(
        {path: file.quiet for path, file in facts.items() if file.quiet is not None},
        {path: file.module for path, file in facts.items()},
        types,
        report_in=set(report_in),
        delivered=project.delivers_to,
    )
    findings += kept_client_findings(
        {path: file.instances for path, file in facts.items() if file.instances is not None},
        {path: file.module for path, file in facts.items()},
        types,
        report_in=set(report_in),
    )
    findings += unawaited_findings(
        {path: file.coroutines for path, file in facts.items() if file.coroutines is not None},
        {path: file.module for path, file in facts.items()},
        report_in=set(report_in),
    )
    findings += envelope_findings(
        {path: file.envelopes for path, file in facts.items() if file.envelopes is not None},
        {path: file.module for path, file in facts.items()},
        report_in=set(report_in),
    )
    findings += payload_read_findings(
        {path: file.payload_reads for path, file in facts.items() if file.payload_reads},
        {path: file.module for path, file in facts.items()},
        report_in=set(report_in),
    )
    return findings


def _delegated_findings(
    facts: Mapping[str, DeliveryFacts],
    project: _Project,
    types: Mapping[str, Mapping[str, str]],
    report_in: set[str],
) -> list[Diagnostic]:
    """The delivery findings of a function that a route answers with, handed its request:
    judged as that route's own, reported in the function's file."""
    if not any(file.delegates for path, file in facts.items() if path in report_in):
        return []
    by_module = ModulePaths({file.module: path for path, file in facts.items()})
    empty: Mapping[str, str] = {}
    found: dict[tuple[str, int, int, str], Diagnostic] = {}
    for file in facts.values():
        for route in file.routes:
            if route.delegate is None:
                continue
            target = resolve_call(
                route.delegate.target,
                route.delegate.steps,
                file.module,
                by_module,
                lambda where: types.get(where, empty),
            )
            if target is None or target[0] not in report_in:
                continue
            deferred = facts[target[0]].delegates.get(target[1], [])
            kinds = project.kinds_of(route) if deferred else set()
            for item in deferred:
                if kinds.intersection(item.kinds):
                    d = item.diagnostic
                    found.setdefault((d.path, d.line, d.column, d.rule), d)
    return list(found.values())


def _types(file: DeliveryFacts) -> dict[str, str]:
    """What a file's names hold, as its blocking facts or (without those) the facts of its
    helpers say."""
    if file.blocking is not None:
        return file.blocking.types
    return (file.state.types if file.state else {}) or (file.quiet.types if file.quiet else {})


def potential_findings(facts: DeliveryFacts) -> list[Diagnostic]:
    """Every cross-file finding a file could produce, whatever the rest of the project holds."""
    return [
        *(deferred.diagnostic for route in facts.routes for deferred in route.deferred),
        *(deferred.diagnostic for found in facts.delegates.values() for deferred in found),
        *(unserved_diagnostic(declared) for declared in facts.declared),
        *(job.unhandled for job in facts.jobs),
        *(callback.misplaced for callback in facts.job_callbacks),
        *(call.diagnostic for call in (facts.blocking.calls if facts.blocking else ())),
        *([facts.blocking.client] if facts.blocking and facts.blocking.client else []),
        *(held.diagnostic for held in (facts.state.held if facts.state else ())),
        *(call.diagnostic for call in (facts.quiet.ignored if facts.quiet else ())),
        *(retried.diagnostic for retried in (facts.quiet.retried if facts.quiet else ())),
        *(
            site
            for helper in (facts.quiet.helpers.values() if facts.quiet else ())
            for site in helper.sites
        ),
        *(kept.diagnostic for kept in (facts.instances.kept if facts.instances else ())),
        *(call.diagnostic for call in (facts.coroutines.dropped if facts.coroutines else ())),
    ]


def unserved_diagnostic(declared: Declared) -> Diagnostic:
    site = declared.site
    return Diagnostic(
        rule=UnservedRoute.id,
        source="dapr",
        path=site.path,
        line=site.line,
        column=site.column,
        end_line=site.end_line,
        end_column=site.end_column,
        message=(
            f"Dapr delivers {declared.path} with POST, but no route of the app serves it: the "
            "app answers 404 and Dapr drops every message"
            if declared.kind == "pubsub"
            else f"this input binding triggers the app at {declared.path} (its `route` metadata, "
            "else the component's name), but no route of the app serves it: daprd's startup "
            "probe gets 404 and the binding never calls the app"
        ),
        why=UnservedRoute.why,
        fix=UnservedRoute.fix,
        excerpt=site.excerpt,
    )


@dataclass
class _Project:
    facts: Mapping[str, DeliveryFacts]
    _prefix_cache: dict[str, frozenset[str]] = field(default_factory=dict)
    _resolved: dict[str, str] = field(default_factory=dict)

    # -- what the project holds --------------------------------------------------------------------

    @cached_property
    def _apps(self) -> dict[str, str]:
        """`module:name` -> kind, for every app and router the project defines."""
        return {
            f"{file.module}:{name}": kind
            for file in self.facts.values()
            for name, kind in file.apps.items()
        }

    @cached_property
    def _mounts(self) -> dict[str, list[tuple[str, str]]]:
        """child -> [(parent, prefix)], with references resolved to the defining module."""
        mounts: dict[str, list[tuple[str, str]]] = {}
        for file in self.facts.values():
            for mount in file.mounts:
                child = self._resolve(mount.child)
                mounts.setdefault(child, []).append((self._resolve(mount.parent), mount.prefix))
        return mounts

    @cached_property
    def has_app(self) -> bool:
        return bool(self._apps)

    @cached_property
    def has_grpc_app(self) -> bool:
        """A `dapr.ext.grpc.App`: it receives input bindings as events, through no route."""
        return "other" in self._apps.values()

    @cached_property
    def closed(self) -> bool:
        """True when every route can be placed: an app exists and no include escaped the facts."""
        web = {"fastapi", "flask"}
        return any(kind in web for kind in self._apps.values()) and not self._open_world

    @cached_property
    def _open_world(self) -> bool:
        """Some route is registered where the facts cannot follow it."""
        return any(file.open_world for file in self.facts.values())

    @cached_property
    def _exports(self) -> dict[str, str]:
        return {
            f"{file.module}:{name}": target
            for file in self.facts.values()
            for name, target in file.exports.items()
        }

    @cached_property
    def _unresolved_includes(self) -> bool:
        """Some include names a router the facts do not hold (another package, an unread file)."""
        return any(child not in self._apps for child in self._mounts)

    def _resolve(self, reference: str, depth: int = 0) -> str:
        """The defining `module:name` of a reference such as `app.api.orders:router`, matched
        by module suffix: the project root and the import root may differ."""
        if reference in self._apps:
            return reference
        resolved = self._resolved.get(reference)
        if resolved is None:
            exported = _match(reference, self._exports_by_name)
            if exported is not None and depth < 8:  # re-exports may chain; cycles stop here
                resolved = self._resolve(self._exports[exported], depth + 1)
            else:
                resolved = _match(reference, self._apps_by_name) or reference
            self._resolved[reference] = resolved
        return resolved

    @cached_property
    def _apps_by_name(self) -> dict[tuple[str, str], list[str]]:
        return _by_name(self._apps)

    @cached_property
    def _exports_by_name(self) -> dict[tuple[str, str], list[str]]:
        return _by_name(self._exports)

    # -- where routes end up -----------------------------------------------------------------------

    def prefixes(self, owner: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        """The prefixes under which an app or router's routes are served (empty: not served)."""
        owner = self._resolve(owner)
        if owner in self._prefix_cache:
            return self._prefix_cache[owner]
        parents = self._mounts.get(owner, [])
        if not parents:
            # A router nobody includes serves nothing - when the app is known to include it
            # nowhere; an app (or what cannot be placed) is a root.
            # An include the facts cannot follow may be the one that mounts it.
            unmounted = (
                self._apps.get(owner) == "router" and self.closed and not self._unresolved_includes
            )
            found = frozenset() if unmounted else frozenset({""})
        elif owner in seen:
            found = frozenset()
        else:
            found = frozenset(
                parent_prefix + prefix
                for parent, prefix in parents
                for parent_prefix in self.prefixes(parent, seen | {owner})
            )
        self._prefix_cache[owner] = found
        return found

    def paths(self, route: ServedRoute) -> frozenset[str]:
        return frozenset(prefix + route.path for prefix in self.prefixes(route.owner))

    @cached_property
    def _served(self) -> tuple[set[str], list[re.Pattern[str]]]:
        """Served paths: literal ones for lookups, templated ones (`/job/{name}`) as regexes."""
        literal: set[str] = set()
        templates: set[str] = set()
        for file in self.facts.values():
            for route in file.routes:
                for path in self.paths(route):
                    (templates if _PARAMETER.search(path) else literal).add(path)
        return literal, [_pattern(path) for path in sorted(templates)]

    @cached_property
    def _app_folders(self) -> frozenset[str]:
        """The folders holding the project's apps: where a service named by its app id lives."""
        return frozenset(
            folder
            for path, file in self.facts.items()
            if file.apps
            for folder in PurePosixPath(path).parent.parts
        )

    def may_receive(self, declared: Declared) -> bool:
        """False for a Subscription scoped to apps none of whose folders the project holds: the
        app that receives it is elsewhere, and what it serves is unknown."""
        return not declared.scopes or any(scope in self._app_folders for scope in declared.scopes)

    def serves(self, path: str) -> bool:
        literal, templates = self._served
        return path in literal or any(pattern.fullmatch(path) for pattern in templates)

    # -- what Dapr delivers where ------------------------------------------------------------------

    @cached_property
    def _declared(self) -> dict[str, set[str]]:
        """Delivery kind -> the routes declared for it anywhere in the project."""
        declared: dict[str, set[str]] = {}
        for file in self.facts.values():
            for item in file.declared:
                declared.setdefault(item.kind, set()).add(item.path)
        return declared

    def kinds_of(self, route: ServedRoute) -> set[str]:
        kinds = set()
        for path in self.paths(route):
            if path.startswith("/job/"):
                kinds.add("job")
            templated = _PARAMETER.search(path) is not None
            pattern = _pattern(path) if templated else None
            for kind, declared in self._declared.items():
                if path in declared or (
                    pattern is not None and any(pattern.fullmatch(d) for d in declared)
                ):
                    kinds.add(kind)
        return kinds

    def delivers_to(self, path: str, function: str) -> bool:
        """Dapr delivers something to a route the function of that file serves."""
        file = self.facts.get(path)
        routes = file.routes if file is not None else []
        # A route another app invokes is no delivery: its answer goes to that app.
        return any(
            self.kinds_of(route) - {"invoked"} for route in routes if route.function == function
        )

    def deferred_findings(self, path: str, route: ServedRoute) -> list[Diagnostic]:
        if not route.deferred:
            return []
        kinds = self.kinds_of(route)
        return [d.diagnostic for d in route.deferred if kinds.intersection(d.kinds)]

    @cached_property
    def _job_routes(self) -> list[tuple[str, str]]:
        """Trigger routes, each with the service (see `service_of`) serving it."""
        return [
            (path, self.service_of(where))
            for where, file in self.facts.items()
            for route in file.routes
            for path in self.paths(route)
            if path.startswith("/job/")
        ]

    @cached_property
    def _job_events(self) -> list[tuple[str, str]]:
        return [
            (event, self.service_of(where))
            for where, file in self.facts.items()
            for event in file.job_events
        ]

    @cached_property
    def _app_dirs(self) -> list[PurePosixPath]:
        """The folders of the files that create an app (FastAPI, Flask, a dapr.ext.grpc App)."""
        return sorted(
            {
                PurePosixPath(where).parent
                for where, file in self.facts.items()
                if any(kind != "router" for kind in file.apps.values())
            }
        )

    def service_of(self, where: str) -> str:
        """The service a file belongs to: the folder of the app that shares the most of its
        path, when the project holds several apps in different folders; "" when it cannot be
        told (one app, or a tie between apps)."""
        folders = self._app_dirs
        if len(folders) < 2:
            return ""
        parts = PurePosixPath(where).parent.parts
        shared = [_common_length(parts, folder.parts) for folder in folders]
        best = max(shared)
        chosen = [folder for folder, length in zip(folders, shared, strict=True) if length == best]
        return str(chosen[0]) if best and len(chosen) == 1 else ""

    def handles_job(self, name: str, service: str = "") -> bool:
        """Some trigger handler of the service that schedules job `name` may receive it: daprd
        delivers a job's triggers to the app that scheduled it. A name's run-time parts
        (`{...}`) may be any value, so a route or job_event matching them either way counts."""

        def same(other: str) -> bool:
            return not service or not other or other == service

        events = [event for event, where in self._job_events if same(where)]
        if "{name}" in events or any(_pattern(name).fullmatch(event) for event in events):
            return True
        trigger = f"/job/{name}"
        return any(
            _pattern(route).fullmatch(trigger) or _pattern(trigger).fullmatch(route)
            for route, where in self._job_routes
            if same(where)
        )

    @cached_property
    def _unhandled_jobs(self) -> bool:
        """A running module schedules a job no handler receives, in an app whose every route
        the facts hold (a one-shot script may schedule for another app)."""
        return (
            self.has_app
            and not self._open_world
            and any(
                not self.handles_job(job.name, self.service_of(where))
                for where, file in self.facts.items()
                if not file.script
                for job in file.jobs
            )
        )

    def _misplaced(self, callback: JobCallback) -> bool:
        """A route written for job triggers where daprd does not call: not `POST /job/...` at
        the root, and no route Dapr delivers messages or binding events to."""
        paths = self.paths(callback)
        if not paths or self.kinds_of(callback) & {"pubsub", "binding"}:
            return False
        if "POST" in callback.methods and any(path.startswith("/job/") for path in paths):
            return False
        return any(looks_like_job_callback(path, callback.methods) for path in paths)

    @cached_property
    def _misplaced_callbacks(self) -> bool:
        return self._unhandled_jobs and any(
            self._misplaced(callback)
            for file in self.facts.values()
            for callback in file.job_callbacks
        )

    def job_findings(self, where: str, file: DeliveryFacts) -> list[Diagnostic]:
        """Jobs no handler receives: reported at the routes written for their triggers where
        daprd does not call, or else where each such job is scheduled."""
        if not self._unhandled_jobs:
            return []
        if self._misplaced_callbacks:
            return [c.misplaced for c in file.job_callbacks if self._misplaced(c)]
        if file.script:
            return []
        service = self.service_of(where)
        findings = []
        for job in file.jobs:
            if self.handles_job(job.name, service):
                continue
            unhandled = job.unhandled
            if self.handles_job(job.name):
                message = (
                    f"job '{job.name}' is scheduled by the app in {service}/, but only another "
                    f"app of the project serves `POST /job/{job.name}`: daprd delivers a job's "
                    "triggers to the app that scheduled it, which answers 404"
                )
                unhandled = unhandled.model_copy(update={"message": message})
            findings.append(unhandled)
        return findings


def _common_length(first: tuple[str, ...], second: tuple[str, ...]) -> int:
    """How many leading folders two paths share."""
    length = 0
    for one, other in zip(first, second, strict=False):
        if one != other:
            break
        length += 1
    return length


def _by_name(references: Iterable[str]) -> dict[tuple[str, str], list[str]]:
    """`module:name` references grouped by name and the module's last component."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for reference in references:
        module, _, name = reference.rpartition(":")
        grouped.setdefault((name, module.rpartition(".")[2]), []).append(reference)
    return grouped


def _match(reference: str, index: Mapping[tuple[str, str], list[str]]) -> str | None:
    """The known reference `reference` names: same name, module equal up to a prefix, or else
    the one module whose last component matches (`service.routes` vs `svc.routes`)."""
    module, _, name = reference.rpartition(":")
    candidates = index.get((name, module.rpartition(".")[2]), [])
    if reference in candidates:
        return reference
    matching = [
        entry
        for entry in candidates
        if (entry_module := entry.rpartition(":")[0]).endswith(f".{module}")
        or module.endswith(f".{entry_module}")
    ]
    if matching:
        # Several services each with their own `routes.py` (`from routes import router`): which
        # one is meant is not known, so none is picked.
        return matching[0] if len(matching) == 1 else None
    return candidates[0] if len(candidates) == 1 else None


@cache
def _pattern(path: str) -> re.Pattern[str]:
    """A served path as a regex: `{id}` and Flask's `<id>` match one segment."""
    parts = _PARAMETER.split(path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def facts_of(results: Iterable[tuple[str, DeliveryFacts | None]]) -> dict[str, DeliveryFacts]:
    """Keep the files that contribute anything."""
    return {path: facts for path, facts in results if facts is not None and not facts.is_empty()}
