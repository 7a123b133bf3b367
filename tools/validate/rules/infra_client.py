from __future__ import annotations

import ast

from tools.validate.astutil import argument, const_str, nodes_of
from tools.validate.context import FileContext
from tools.validate.rules._reach import is_program
from tools.validate.rules.base import Invalid, Rule

# Top-level module -> the broker it talks to directly, in place of Dapr pub/sub or bindings.
BROKER_MODULES = {
    "kafka": "Kafka",
    "aiokafka": "Kafka",
    "confluent_kafka": "Kafka",
    "pika": "RabbitMQ",
    "aio_pika": "RabbitMQ",
    "aiormq": "RabbitMQ",
    "kombu": "a message broker",
    "nats": "NATS",
    "pulsar": "Pulsar",
    "google.cloud.pubsub": "Google Pub/Sub",
    "google.cloud.pubsub_v1": "Google Pub/Sub",
    "azure.servicebus": "Azure Service Bus",
    "azure.eventhub": "Azure Event Hubs",
}
# Redis is a store (the service's cache, rate limits, its own keys) unless the file uses it as a
# broker: these are its pub/sub and stream commands.
_REDIS_MODULES = frozenset({"redis", "aioredis"})
_REDIS_BROKER_CALLS = frozenset(
    {"publish", "pubsub", "xadd", "xread", "xreadgroup", "xgroup_create", "xack"}
)
# boto3/aioboto3 are fine for S3 and friends; these services are what Dapr pub/sub replaces.
AWS_MESSAGING = frozenset({"sqs", "sns", "kinesis", "eventbridge", "events"})
AWS_SDKS = frozenset({"boto3", "aioboto3", "aiobotocore", "botocore"})


class InfrastructureClient(Rule):
    id = "DAPR002"
    name = "infrastructure-client"
    message = "a message broker client is used directly instead of Dapr pub/sub"
    why = (
        "Publishing to or consuming from Kafka, RabbitMQ, Redis streams or a cloud queue directly "
        "bypasses the sidecar: no CloudEvent envelope the Dapr subscribers expect, none of its "
        "retries, dead-letter topics, scoping, tracing or access control, and the service is tied "
        "to one product. A service's own database or cache is its business and is not reported; "
        "neither is a one-shot program (a test sender filling a queue)."
    )
    fix = (
        "Publish and subscribe with `DaprClient.publish_event` and Dapr subscriptions; reach "
        "other systems through output bindings (`invoke_binding`)."
    )
    VALID = (
        # The service's own database and cache.
        "import asyncpg\nimport redis.asyncio as aioredis\n\n"
        "cache = aioredis.Redis()\n\n"
        "async def seen(key: str) -> bool:\n"
        "    return not await cache.set(key, 1, nx=True, ex=86400)\n",
        # A one-shot sender filling the queue an input binding reads.
        "from azure.servicebus import Message, QueueClient\n\n"
        "queue = QueueClient.from_connection_string('Endpoint=sb://x/', 'orders')\n"
        "for number in range(20):\n"
        "    queue.send(Message(b'{}'))\n",
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(c: DaprClient) -> None:\n"
        "    await c.publish_event('pubsub', 'orders', '{}', "
        "data_content_type='application/json')\n",
        "import boto3\n\ns3 = boto3.client('s3')\n",
    )
    INVALID = (
        Invalid("from aiokafka import AIOKafkaProducer\n", line=1, col=1),
        # Redis used as a broker: its pub/sub.
        Invalid(
            "import redis.asyncio as r\n\nbus = r.Redis()\n\n"
            "async def announce(order_id: str) -> None:\n"
            "    await bus.publish('orders', order_id)\n",
            line=1,
            col=8,
        ),
        Invalid("from google.cloud import pubsub_v1\n", line=1, col=26),
        Invalid("import boto3\n\nqueue = boto3.client('sqs')\n", line=3, col=9),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._quiet = False
        self._redis_broker = False

    def visit_Module(self, node: ast.Module) -> None:
        self._quiet = is_program(self.ctx, node)
        self._redis_broker = any(
            isinstance(call.func, ast.Attribute) and call.func.attr in _REDIS_BROKER_CALLS
            for call in nodes_of(node, ast.Call)
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(alias, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        if self._check_module(node, node.module):
            return
        for alias in node.names:
            self._check_module(alias, f"{node.module}.{alias.name}")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not (
            isinstance(func, ast.Attribute) and func.attr in ("client", "resource", "create_client")
        ):
            return
        owner = (self.ctx.qualname(func.value) or "").partition(".")[0]
        service = const_str(argument(node, 0, "service_name"), self.ctx.constants)
        if self._quiet:
            return
        if service in AWS_MESSAGING and (owner in AWS_SDKS or AWS_SDKS & self._top_modules()):
            self.report(node, f"AWS {service} client used directly instead of Dapr")

    def _top_modules(self) -> set[str]:
        return {name.partition(".")[0] for name in self.ctx.imports.imported_modules()}

    def _check_module(self, node: ast.AST, module: str) -> bool:
        top = module.partition(".")[0]
        if top in _REDIS_MODULES:
            if self._redis_broker and not self._quiet:
                self.report(node, f"`{module}` is used as a broker (Redis pub/sub or streams)")
            return True
        for prefix, product in BROKER_MODULES.items():
            if module == prefix or module.startswith(prefix + "."):
                if not self._quiet:
                    self.report(
                        node, f"`{module}` talks to {product} directly instead of through Dapr"
                    )
                return True
        return False
