"""The Dapr rule pack: one rule per module, registered here in id order (see docs/rules.md)."""

from __future__ import annotations

from tools.validate.rules.actor_memory import ActorStateInMemory
from tools.validate.rules.base import Rule
from tools.validate.rules.blanket_drop import BlanketDrop
from tools.validate.rules.blanket_retry import BlanketRetry
from tools.validate.rules.blocking_io import BlockingCallInAsync
from tools.validate.rules.body_parameter import BodyParameterNotAModel
from tools.validate.rules.bulk_publish_unread import BulkPublishUnread
from tools.validate.rules.check_then_set import CheckThenSet
from tools.validate.rules.client_per_request import ClientPerRequest
from tools.validate.rules.closed_client import ClosedSharedClient
from tools.validate.rules.cloudevent_content_type import CloudEventContentType
from tools.validate.rules.envelope_validated import EnvelopeValidated
from tools.validate.rules.hardcoded_secret import HardcodedSecret
from tools.validate.rules.idle_consumer import IdleConsumer
from tools.validate.rules.infra_client import InfrastructureClient
from tools.validate.rules.invocation_idempotency import InvocationWithoutIdempotencyKey
from tools.validate.rules.invocation_timeout import InvocationWithoutTimeout
from tools.validate.rules.job_alpha1 import DeprecatedJobAlpha1
from tools.validate.rules.job_handler import JobWithoutHandler
from tools.validate.rules.job_schedule import JobScheduleNotCron
from tools.validate.rules.job_stringvalue import JobDataStringValue
from tools.validate.rules.job_ttl import JobNeedsSchedule
from tools.validate.rules.jobs_invocation import JobsThroughInvocation
from tools.validate.rules.lock_unchecked import LockResultUnchecked
from tools.validate.rules.marked_early import MarkedBeforeDone
from tools.validate.rules.memory_dedupe import InMemoryDedupe
from tools.validate.rules.payload_as_cloudevent import PayloadAsCloudEvent
from tools.validate.rules.poison_answer import PoisonAnsweredWithError
from tools.validate.rules.poison_message import PoisonMessage
from tools.validate.rules.polling_loop import PollingLoop
from tools.validate.rules.port_default import SidecarPortDefault
from tools.validate.rules.publish_content_type import PublishContentType
from tools.validate.rules.publish_status import PublishStatus
from tools.validate.rules.query_first_page import QueryFirstPageOnly
from tools.validate.rules.raw_publish import RawHttpPublish
from tools.validate.rules.reminders_url import RemindersUrl
from tools.validate.rules.sdk_signature import SdkSignature
from tools.validate.rules.secret_at_import import SecretReadAtImport
from tools.validate.rules.sidecar_address import HardcodedSidecarAddress
from tools.validate.rules.sidecar_wait import ClientBlocksOnSidecar
from tools.validate.rules.state_error_absent import StateErrorReadAsAbsent
from tools.validate.rules.state_etag import StateWithoutEtag
from tools.validate.rules.state_then_publish import StateThenPublish
from tools.validate.rules.subscribe_method import SubscribeRouteMethod
from tools.validate.rules.subscribe_prefix import SubscribeRoutePrefixed
from tools.validate.rules.subscription_list import SubscriptionList
from tools.validate.rules.subscription_status import SubscriptionStatus
from tools.validate.rules.swallowed_error import SwallowedError
from tools.validate.rules.sync_client import SyncDaprClient
from tools.validate.rules.unawaited_coroutine import UnawaitedCoroutine
from tools.validate.rules.unchecked_answer import UncheckedSidecarAnswer
from tools.validate.rules.unknown_sidecar_route import UnknownSidecarRoute
from tools.validate.rules.unserved_route import UnservedRoute
from tools.validate.rules.untyped_payload import UntypedPayload
from tools.validate.rules.workflow_instance_id import WorkflowFreshInstanceId

ALL_RULES: tuple[type[Rule], ...] = (
    SyncDaprClient,
    InfrastructureClient,
    PollingLoop,
    BlockingCallInAsync,
    SubscriptionStatus,
    PoisonMessage,
    UntypedPayload,
    ClientPerRequest,
    PublishContentType,
    DeprecatedJobAlpha1,
    JobDataStringValue,
    JobWithoutHandler,
    HardcodedSidecarAddress,
    HardcodedSecret,
    ClientBlocksOnSidecar,
    StateWithoutEtag,
    CheckThenSet,
    InMemoryDedupe,
    RawHttpPublish,
    CloudEventContentType,
    PayloadAsCloudEvent,
    UnknownSidecarRoute,
    PublishStatus,
    SidecarPortDefault,
    SdkSignature,
    JobScheduleNotCron,
    RemindersUrl,
    JobNeedsSchedule,
    JobsThroughInvocation,
    UnservedRoute,
    PoisonAnsweredWithError,
    BlanketRetry,
    BlanketDrop,
    SwallowedError,
    EnvelopeValidated,
    MarkedBeforeDone,
    UncheckedSidecarAnswer,
    InvocationWithoutTimeout,
    LockResultUnchecked,
    SecretReadAtImport,
    SubscriptionList,
    BodyParameterNotAModel,
    SubscribeRouteMethod,
    SubscribeRoutePrefixed,
    ActorStateInMemory,
    WorkflowFreshInstanceId,
    ClosedSharedClient,
    UnawaitedCoroutine,
    IdleConsumer,
    QueryFirstPageOnly,
    InvocationWithoutIdempotencyKey,
    StateThenPublish,
    BulkPublishUnread,
    StateErrorReadAsAbsent,
)

__all__ = ["ALL_RULES", "Rule"]
