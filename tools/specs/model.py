"""The service spec as Pydantic models: what a `service.yaml` (or a `spec.md` yaml block) may say.

Structural rules live here (types of values, allowed keys, formats of names and schedules); rules
that relate one part of the spec to another (a subscription's event exists, a dead-letter topic is
handled) live in `tools.specs.checks`, so every problem is reported at once with its field path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tools.specs.components import (
    DEFAULT_PUBSUB_TYPE,
    DELIVERY_BUDGET_SECONDS,
    QUERY_PAGE_LIMIT,
    duration_seconds,
)
from tools.specs.types import SCALARS, TypeRef, TypeSyntaxError, parse_type

# Dapr names: app ids and component names are DNS labels; topics and job names end up in URLs and
# state keys, so they stay within a conservative portable alphabet.
APP_ID = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
COMPONENT_NAME = APP_ID
TOPIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,248}$")
JOB_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_.]{0,60}[a-z0-9])?$")
METHOD_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_]{0,62}[a-z0-9])?$")
"""A method of this service (and a call's name): one path segment of
`/v1.0/invoke/<app>/method/<name>`."""
CALLEE_METHOD = re.compile(r"^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+){0,15}$")
"""A method of another app, named by that app: a path such as `api/v1/fines`, in URL-safe characters
(daprd calls `/<method>` on the callee)."""
BULK_LIMIT = 100
"""Most events one bulk publish request takes (a larger batch is refused, not split)."""
PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
ISO_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,?-]+$")
DEFAULT_STATE_TYPE = "state.in-memory"
STATE_TYPE = re.compile(r"^state\.[a-z0-9][a-z0-9.-]*$")
PUBSUB_TYPE = re.compile(r"^pubsub\.[a-z0-9][a-z0-9.-]*$")
BINDING_TYPE = re.compile(r"^bindings\.[a-z0-9.-]+$")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
"""A `{field}` of a payload in output binding request metadata."""
SECRET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
"""A secret's name in the secret store (a key of the local secrets file)."""
SECRETS_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*\.json$")
"""A JSON file inside the service's folder (relative; no part starts with '.', so no '..')."""
CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _pattern(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise ValueError(f"'{value}' is not a valid {what}")
    return value


def check_schedule(value: str) -> str:
    """A Dapr Jobs/cron schedule: six cron fields (seconds first), `@every <duration>`, macro."""
    text = value.strip()
    if text.startswith("@every "):
        duration = text.removeprefix("@every ").strip()
        if not GO_DURATION.match(duration):
            raise ValueError(
                f"'{duration}' is not a Go duration; write e.g. '@every 30s' or '@every 1h30m'"
            )
        if duration_seconds(duration) == 0:
            # No pause between ticks: a job that fires as fast as the Scheduler can trigger it.
            raise ValueError(f"'{text}' has no interval; write e.g. '@every 30s'")
        return text
    if text.startswith("@"):
        if text not in CRON_MACROS:
            raise ValueError(
                f"unknown schedule macro '{text}'; use @every <duration> or one of "
                f"{', '.join(CRON_MACROS)}"
            )
        return text
    fields = text.split()
    if len(fields) == 5:
        raise ValueError(f"'{text}' has five fields; Dapr cron has six, seconds first: '0 {text}'")
    if len(fields) != 6 or not all(CRON_FIELD.match(f) for f in fields):
        raise ValueError(
            f"'{text}' is not a schedule; write six cron fields 'sec min hour dom mon dow' "
            "or '@every 30s'"
        )
    for field, (name, low, high) in zip(fields, _CRON_RANGES, strict=True):
        # A value, or a range's ends, out of the field's range: the Scheduler refuses the job.
        values = [
            int(n) for part in field.split(",") for n in re.findall(r"\d+", part.split("/")[0])
        ]
        steps = [part.split("/", 1)[1] for part in field.split(",") if "/" in part]
        if any(not low <= n <= high for n in values) or any(s in ("", "0") for s in steps):
            raise ValueError(
                f"'{text}': the {name} field '{field}' is out of range; it takes {low} to {high}"
                " (and a step of at least 1)"
            )
    return text


_CRON_RANGES = (
    ("seconds", 0, 59), ("minutes", 0, 59), ("hours", 0, 23),
    ("day-of-month", 1, 31), ("month", 1, 12), ("day-of-week", 0, 6),
)  # fmt: skip


def check_due_time(value: str) -> str:
    """A Dapr job dueTime/ttl: Go duration, RFC3339 time with offset, or ISO 8601 duration."""
    if RFC3339.match(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"'{value}' is no time of the calendar (a month, day, hour or minute out of "
                "range); the Scheduler would refuse the job"
            ) from None
        return value
    if GO_DURATION.match(value) or ISO_DURATION.match(value):
        return value
    raise ValueError(
        f"'{value}' is not a due time; write a Go duration ('10s'), an RFC3339 time with "
        "offset or 'PT10S'"
    )


# A CloudEvent type or source: a reverse-DNS name or a URI reference, no spaces or quotes.
CLOUDEVENT_ATTRIBUTE = re.compile(r"^[A-Za-z0-9/][A-Za-z0-9._~:/?#@!$&*+,;=%-]{0,199}$")
# A JSON member name another party chose: `taskId`, `from`, `@type`, `order-id`.
JSON_NAME = re.compile(r"^[A-Za-z0-9_$@.:-]{1,100}$")


class FieldSpec(_Strict):
    """One field of an event or model: `name: type` or `name: {type, description, alias}`."""

    type: str
    description: str = ""
    alias: str | None = Field(
        default=None,
        description="the field's name in JSON (CloudEvent data, request bodies, state) when it "
        "is not the snake_case name: `taskId`, `from`; both are read, the alias is written",
    )

    @field_validator("alias")
    @classmethod
    def _json_name(cls, value: str | None) -> str | None:
        if value is not None and not JSON_NAME.match(value):
            raise ValueError(
                f"'{value}' is not a JSON name daprdev writes; use letters, digits and _ $ @ . : -"
                " (at most 100)"
            )
        return value

    @field_validator("type")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parse_type(value)
        except TypeSyntaxError as error:
            raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _resolves(self, info: ValidationInfo) -> FieldSpec:
        # Names defined by the spec are collected before validation and passed in as context, so an
        # unknown type is reported together with every structural problem.
        known = (info.context or {}).get("type_names")
        name = self.ref.name
        if known is not None and name not in SCALARS and name not in known:
            choices = [*SCALARS, *known]
            close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f"; known: {', '.join(choices)}"
            raise ValueError(f"unknown type '{name}'{hint}")
        return self

    @property
    def ref(self) -> TypeRef:
        return parse_type(self.type)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data


Fields = dict[Annotated[str, Field(pattern=SNAKE.pattern)], FieldSpec]


class ModelSpec(_Strict):
    """An event payload or a nested model: named, typed fields."""

    description: str = ""
    fields: Fields = Field(min_length=1)

    def json_name(self, field: str) -> str:
        """The name `field` is written under in JSON: its alias, else its own."""
        return self.fields[field].alias or field

    @model_validator(mode="after")
    def _json_names_unique(self) -> ModelSpec:
        # Both names of a field are read: one name may stand for one field only.
        owners: dict[str, str] = {}
        for name in self.fields:
            for json_name in dict.fromkeys([name, self.json_name(name)]):
                other = owners.setdefault(json_name, name)
                if other != name:
                    raise ValueError(
                        f"'{json_name}' would name both '{other}' and '{name}' in JSON; "
                        "give each field its own alias"
                    )
        return self


class Idempotency(_Strict):
    """Where duplicate-delivery claims live and how long they are remembered."""

    store: str = Field(pattern=COMPONENT_NAME.pattern)
    type: str | None = Field(
        default=None,
        pattern=STATE_TYPE.pattern,
        description="Dapr component type of the claims' store when it is not a state_stores "
        "entry (then that entry's type); state.in-memory by default",
    )
    ttl_seconds: int = Field(default=86_400, ge=60)
    lease_seconds: int = Field(
        default=30,
        ge=1,
        description="kept so that older specs still load, and changes nothing: claims have no "
        "lease (a claim is committed with the handler's state changes, never taken over by "
        f"time), and one delivery's budget is {DELIVERY_BUDGET_SECONDS} s",
    )


class ServiceInfo(_Strict):
    app_id: str
    title: str = ""
    description: str = ""
    pubsub: str = Field(default="pubsub", description="default pub/sub component for topics")
    port: int = Field(default=8000, ge=1, le=65_535)
    idempotency: Idempotency

    _app_id = field_validator("app_id")(
        lambda v: _pattern(v, APP_ID, "Dapr app id (lowercase DNS label)")
    )
    _pubsub = field_validator("pubsub")(lambda v: _pattern(v, COMPONENT_NAME, "component name"))


ACTION_KINDS = ("save", "schedule", "cancel", "publish", "invoke", "call")


class Action(_Strict):
    """One effect of a handler: exactly one of save, schedule, cancel, publish, invoke, call."""

    save: str | None = Field(default=None, description="state store that stores the payload")
    schedule: str | None = Field(
        default=None, description="per-key job to schedule from the payload"
    )
    cancel: str | None = Field(
        default=None, description="per-key job to cancel (delete) for the payload's key"
    )
    publish: str | None = Field(default=None, description="topic of a publication to emit")
    invoke: str | None = Field(default=None, description="output binding to invoke")
    call: str | None = Field(
        default=None, description="invocation (a method of another app) to call"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        given = [k for k in ACTION_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"an action has exactly one of: {', '.join(ACTION_KINDS)}")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ACTION_KINDS if getattr(self, k) is not None)

    @property
    def target(self) -> str:
        return str(getattr(self, self.kind))


def _cloudevent_attribute(value: str | None) -> str | None:
    if value is not None and not CLOUDEVENT_ATTRIBUTE.match(value):
        raise ValueError(
            f"'{value}' is not a CloudEvent type or source daprdev writes: a reverse-DNS name "
            "('com.example.order.placed') or a URI reference ('/orders'), no spaces or quotes"
        )
    return value


class Publication(_Strict):
    """The service publishes `event` on this topic (the mapping key)."""

    event: str
    pubsub: str | None = None
    route: str | None = Field(
        default=None, description="HTTP route that accepts the event and publishes it"
    )
    idempotency_field: str | None = Field(
        default=None, description="payload field whose value becomes the CloudEvent id (dedup key)"
    )
    type: str | None = Field(
        default=None,
        description="CloudEvent type subscribers may route on (`com.example.payment.captured`); "
        "daprd's `com.dapr.event.sent` by default",
    )
    source: str | None = Field(
        default=None,
        description="CloudEvent source (a URI reference: `/payments`); the app id by default",
    )

    bulk: bool = Field(
        default=False,
        description=f"POST <route>/bulk publishes a JSON array of up to {BULK_LIMIT} events in one "
        "bulk request, each under the CloudEvent id its single publish would have",
    )

    _attributes = field_validator("type", "source")(_cloudevent_attribute)

    @field_validator("route")
    @classmethod
    def _route(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^/[a-z0-9/_-]*$", value):
            raise ValueError(
                f"'{value}' is not a route; write an absolute lowercase path such as '/tasks'"
            )
        return value


class RoutingRule(_Strict):
    """A CEL rule over the CloudEvent; matching events go to the handler `name`."""

    match: str = Field(min_length=1)
    name: str = Field(pattern=SNAKE.pattern)
    actions: list[Action] = Field(default_factory=list)


class TypedHandler(_Strict):
    """The messages of one CloudEvent type on a topic that carries several: their own event model,
    actions and hook."""

    type: str = Field(description="the CloudEvent type the app dispatches on")
    event: str
    actions: list[Action] = Field(default_factory=list)

    _type = field_validator("type")(_cloudevent_attribute)


class Subscription(_Strict):
    """The service consumes `event` from this topic (the mapping key), or with `types` several
    event types, told apart by their CloudEvent type."""

    event: str | None = None
    types: dict[Annotated[str, Field(pattern=SNAKE.pattern)], TypedHandler] = Field(
        default_factory=dict,
        description="handler name -> {type, event, actions}: each message goes to the handler of "
        "its CloudEvent type; one of no declared type is dropped",
    )
    pubsub: str | None = None
    dead_letter_topic: str | None = None
    dead_letter_external: bool = Field(
        default=False, description="the dead-letter topic is handled by another app"
    )
    rules: list[RoutingRule] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    idempotency_field: str | None = Field(
        default=None,
        description="payload field each delivery is claimed on instead of the CloudEvent id; "
        "needed where the id is random (a state store's outbox publishes with a fresh id)",
    )

    @field_validator("dead_letter_topic")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        return None if value is None else _pattern(value, TOPIC_NAME, "topic name")


class Outbox(_Strict):
    """Dapr's transactional outbox: every committed save publishes the saved entity on `topic`."""

    topic: str = Field(description="a publication of this spec; its pubsub carries the messages")


class StoreQuery(_Strict):
    """A route answering a page of a store's entities through Dapr's state query API."""

    route: str = Field(
        description="GET <route>?<field>=<value>&sort=<field>|-<field>&limit=<n>&token=<t> "
        "answers {items, token}; Dapr-facing, so it takes the app token"
    )
    filters: list[Annotated[str, Field(pattern=SNAKE.pattern)]] = Field(
        default_factory=list,
        description="entity fields a request may filter on by equality (a field given twice "
        "matches either value)",
    )
    sort: list[Annotated[str, Field(pattern=SNAKE.pattern)]] = Field(
        default_factory=list, description="entity fields a request may sort on"
    )
    limit: int = Field(
        default=20, ge=1, le=QUERY_PAGE_LIMIT, description="the page size when none is asked"
    )

    @field_validator("route")
    @classmethod
    def _route(cls, value: str) -> str:
        if not re.match(r"^/[a-z0-9/_-]*[a-z0-9_-]$", value):
            raise ValueError(
                f"'{value}' is not a route; write an absolute lowercase path such as '/tasks'"
            )
        return value


class StateStore(_Strict):
    """A Dapr state store component (the mapping key) and the entity kept in it."""

    entity: str
    key: str = Field(description="entity field used as the state key")
    type: str = Field(
        default=DEFAULT_STATE_TYPE,
        pattern=STATE_TYPE.pattern,
        description="Dapr component type; what it honours decides how deliveries are claimed",
    )
    concurrency: Literal["first-write", "last-write"] = "first-write"
    ttl_seconds: int | None = Field(default=None, ge=1)
    read_route: str | None = Field(
        default=None,
        description="GET <read_route>/{key} answers the stored entity (404 when missing); "
        "Dapr-facing, so it takes the app token",
    )
    delete: bool = Field(
        default=False,
        description="DELETE <read_route>/{key} deletes the entity: 204, 404 when missing, with "
        "If-Match only the version of that ETag (412 otherwise); takes the app token",
    )
    update: bool = Field(
        default=False,
        description="PUT <read_route>/{key} stores the body (the entity, as a read answers it): "
        "204, with If-Match only over the version of that ETag (412 otherwise, 404 when "
        "nothing is stored); takes the app token",
    )
    query: StoreQuery | None = Field(
        default=None,
        description="a GET route answering pages of the stored entities, filtered and sorted "
        "(Dapr's state query API: only a store type that serves it)",
    )
    outbox: Outbox | None = Field(
        default=None,
        description="publish each saved entity on a publication's topic in the save's own "
        "transaction (Dapr's outbox); the idempotency claims then live in another store",
    )
    metadata: dict[str, MetadataValue] = Field(
        default_factory=dict,
        description="component metadata (e.g. connectionString) over the type's local defaults; "
        "{secret: name} reads a secret",
    )

    @field_validator("read_route")
    @classmethod
    def _read_route(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^/[a-z0-9/_-]*[a-z0-9_-]$", value):
            raise ValueError(
                f"'{value}' is not a route; write an absolute lowercase path such as '/tasks' "
                "(the key is appended as /{key})"
            )
        return value


class ConstantPolicy(_Strict):
    interval_seconds: int = Field(default=5, ge=0)
    max_retries: int | None = Field(default=3, ge=0)


class FailurePolicy(_Strict):
    """`drop` or `constant: {interval_seconds, max_retries}` (Dapr's job failure policies)."""

    drop: bool = False
    constant: ConstantPolicy | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"drop": True} if data == "drop" else data

    @model_validator(mode="after")
    def _one(self) -> FailurePolicy:
        if self.drop == (self.constant is not None):
            raise ValueError(
                "a failure policy is either 'drop' or 'constant: {interval_seconds, max_retries}'"
            )
        return self


class JobSpec(_Strict):
    """A Dapr job (the mapping key is its name).

    Startup jobs have `schedule` and/or `due_time` and are registered with overwrite at startup.
    Per-key jobs (`per_key`) are scheduled by a `schedule` action, one job per key, due at the
    payload's `due_time_field`, or recurring on their `schedule` (from `due_time_field` when
    both are given) until cancelled, out of `repeats` or past their `ttl`.
    """

    description: str = ""
    schedule: str | None = None
    due_time: str | None = None
    repeats: int | None = Field(default=None, ge=1)
    ttl: str | None = None
    data: str | None = Field(default=None, description="event type of the job's data")
    payload: dict[str, Any] | None = Field(
        default=None, description="literal data of a startup job"
    )
    per_key: str | None = Field(default=None, description="data field naming each job instance")
    due_time_field: str | None = None
    failure_policy: FailurePolicy | None = None
    actions: list[Action] = Field(default_factory=list)

    _schedule = field_validator("schedule")(lambda v: None if v is None else check_schedule(v))
    _due = field_validator("due_time", "ttl")(lambda v: None if v is None else check_due_time(v))

    @model_validator(mode="after")
    def _timing(self) -> JobSpec:
        if self.per_key is None and self.schedule is None and self.due_time is None:
            raise ValueError(
                "a startup job needs schedule and/or due_time (or per_key for per-key jobs)"
            )
        if self.per_key is not None and self.due_time is not None:
            raise ValueError(
                "a per_key job takes its due time from due_time_field (a datetime field of its "
                "data); drop due_time"
            )
        if self.per_key is not None and self.due_time_field is None and self.schedule is None:
            raise ValueError(
                "a per_key job needs due_time_field (a datetime field of its data), a schedule "
                "to recur on, or both (the first tick at due_time_field)"
            )
        if self.per_key is None and self.due_time_field is not None:
            raise ValueError("due_time_field names each key's due time: only for a per_key job")
        if self.per_key is not None and self.payload is not None:
            raise ValueError(
                "a per_key job gets its data from the scheduling payload; drop payload"
            )
        return self

    @property
    def is_per_key(self) -> bool:
        return self.per_key is not None

    @property
    def recurring(self) -> bool:
        """Fires more than once: a trigger of it has no identity of its own to be claimed by."""
        return self.schedule is not None and self.repeats != 1


class SecretRef(_Strict):
    """A component metadata value read from the spec's secret store (`secretKeyRef` in the
    component YAML), so the credential never appears in the component file."""

    secret: str = Field(pattern=SECRET_NAME.pattern, description="name under secrets.names")


METADATA_TAGS = ("text", "secret-ref")
"""How a metadata value is told apart (a mapping is a secret reference); not part of a path."""
MetadataValue = Annotated[
    Annotated[str, Tag("text")] | Annotated[SecretRef, Tag("secret-ref")],
    Discriminator(lambda value: "secret-ref" if isinstance(value, dict | SecretRef) else "text"),
]
"""A literal component metadata value, or `{secret: <name>}`."""


class Secrets(_Strict):
    """The secret store components read credentials from (`auth.secretStore` of each component
    whose metadata has a `{secret: name}` value)."""

    store: str = Field(default="secretstore", pattern=COMPONENT_NAME.pattern)
    type: Literal["secretstores.local.file"] = Field(
        default="secretstores.local.file",
        description="Dapr component type; the local JSON file store for local runs",
    )
    file: str = Field(
        default="secrets.json",
        pattern=SECRETS_FILE.pattern,
        description="the secrets file, relative to the service folder; git-ignored, with a "
        "generated sample beside it",
    )
    names: dict[Annotated[str, Field(pattern=SECRET_NAME.pattern)], str] = Field(
        min_length=1, description="every secret the components read: name -> what it is"
    )

    @property
    def sample_file(self) -> str:
        """The committed sample of the secrets file: same names, empty values."""
        return f"{self.file.removesuffix('.json')}.sample.json"


class InputBinding(_Strict):
    """An input binding (the mapping key is the component name; daprd POSTs to `/<name>`)."""

    type: str = Field(pattern=BINDING_TYPE.pattern)
    schedule: str | None = Field(default=None, description="for bindings.cron")
    data: str | None = None
    metadata: dict[str, MetadataValue] = Field(
        default_factory=dict, description="component metadata; {secret: name} reads a secret"
    )
    actions: list[Action] = Field(default_factory=list)

    _schedule = field_validator("schedule")(lambda v: None if v is None else check_schedule(v))


class OutputBinding(_Strict):
    """An output binding (the mapping key is the component name)."""

    type: str = Field(pattern=BINDING_TYPE.pattern)
    operation: str = "create"
    data: str | None = None
    metadata: dict[str, MetadataValue] = Field(
        default_factory=dict,
        description="component metadata of the manifest (e.g. rootPath); {secret: name} reads "
        "a secret",
    )
    request_metadata: dict[str, str] = Field(
        default_factory=dict, description="per-call metadata; '{field}' is filled from the payload"
    )


class Invocation(_Strict):
    """A method of another Dapr app this service calls (the mapping key names the call)."""

    app_id: str = Field(pattern=APP_ID.pattern, description="the Dapr app id of the callee")
    method: str = Field(
        pattern=CALLEE_METHOD.pattern,
        max_length=256,
        description="the callee's method, as that app names it (a path such as `api/v1/fines`)",
    )
    data: str = Field(description="event or model type of the request body")
    idempotency_field: str | None = Field(
        default=None,
        description="data field whose value is the call's idempotency key; by default a key "
        "derived from the delivery that makes the call",
    )
    timeout_seconds: int = Field(
        default=5, ge=1, le=300, description="how long the caller waits for one answer"
    )
    http_verb: Literal["POST", "PUT"] = "POST"


class Method(_Strict):
    """A method other apps invoke on this service (daprd delivers `POST /<name>`)."""

    event: str = Field(description="event type of the request body")
    idempotency_field: str = Field(
        description="required field of the event whose value is claimed: a repeated call with "
        "the same value is answered as done, without a second effect"
    )
    actions: list[Action] = Field(default_factory=list)


class PubSub(_Strict):
    """A Dapr pub/sub component (the mapping key) whose type the spec chooses; a component the
    spec names and lists nowhere here is `pubsub.in-memory`."""

    type: str = Field(
        default=DEFAULT_PUBSUB_TYPE,
        pattern=PUBSUB_TYPE.pattern,
        description="Dapr component type; how it redelivers decides the retry chain of "
        "deliveries (resiliency.yaml)",
    )
    metadata: dict[str, MetadataValue] = Field(
        default_factory=dict,
        description="component metadata (e.g. redisHost) over the type's local defaults; "
        "{secret: name} reads a secret",
    )


class Bindings(_Strict):
    input: dict[str, InputBinding] = Field(default_factory=dict)
    output: dict[str, OutputBinding] = Field(default_factory=dict)


class ServiceSpec(_Strict):
    """A whole service spec."""

    service: ServiceInfo
    enums: dict[str, list[str]] = Field(default_factory=dict)
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    events: dict[str, ModelSpec] = Field(min_length=1)
    publications: dict[str, Publication] = Field(default_factory=dict)
    subscriptions: dict[str, Subscription] = Field(default_factory=dict)
    external_topics: list[str] = Field(default_factory=list)
    pubsubs: dict[str, PubSub] = Field(default_factory=dict)
    state_stores: dict[str, StateStore] = Field(default_factory=dict)
    jobs: dict[str, JobSpec] = Field(default_factory=dict)
    bindings: Bindings = Field(default_factory=Bindings)
    invocations: dict[Annotated[str, Field(pattern=METHOD_NAME.pattern)], Invocation] = Field(
        default_factory=dict
    )
    methods: dict[Annotated[str, Field(pattern=METHOD_NAME.pattern)], Method] = Field(
        default_factory=dict
    )
    secrets: Secrets | None = None

    def payload_types(self) -> dict[str, ModelSpec]:
        """Every named model, nested models and events alike."""
        return {**self.models, **self.events}

    def pubsub_of(self, item: Publication | Subscription) -> str:
        return item.pubsub or self.service.pubsub

    def pubsub_names(self) -> list[str]:
        """Every pub/sub component the service uses, the default first."""
        names = [self.service.pubsub]
        names += [self.pubsub_of(p) for p in self.publications.values()]
        names += [self.pubsub_of(s) for s in self.subscriptions.values()]
        return list(dict.fromkeys(names))

    def pubsub_type(self, name: str) -> str:
        """The Dapr component type of pub/sub component `name`."""
        found = self.pubsubs.get(name)
        return found.type if found else DEFAULT_PUBSUB_TYPE

    def component_metadata(self) -> Iterator[tuple[str, str, dict[str, MetadataValue]]]:
        """(path, component, metadata) of every component whose metadata the spec writes."""
        for name, pubsub in self.pubsubs.items():
            yield f"pubsubs.{name}.metadata", name, pubsub.metadata
        for name, binding in self.bindings.input.items():
            yield f"bindings.input.{name}.metadata", name, binding.metadata
        for name, out in self.bindings.output.items():
            yield f"bindings.output.{name}.metadata", name, out.metadata
        for name, store in self.state_stores.items():
            yield f"state_stores.{name}.metadata", name, store.metadata

    def store_type(self, name: str) -> str:
        """The Dapr component type of state store `name` (the claims' store included)."""
        if name in self.state_stores:
            return self.state_stores[name].type
        if name == self.service.idempotency.store and self.service.idempotency.type:
            return self.service.idempotency.type
        return DEFAULT_STATE_TYPE


SECTIONS: tuple[str, ...] = tuple(ServiceSpec.model_fields)
"""Top-level sections, in spec order; `read_spec_section` accepts these names."""
