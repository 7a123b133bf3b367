from __future__ import annotations

import ast

from tools.validate.astutil import argument, const_str
from tools.validate.rules.base import Invalid, Rule

# Top-level module -> what it talks to directly.
INFRA_MODULES = {
    "kafka": "Kafka",
    "aiokafka": "Kafka",
    "confluent_kafka": "Kafka",
    "psycopg": "PostgreSQL",
    "psycopg2": "PostgreSQL",
    "asyncpg": "PostgreSQL",
    "aiopg": "PostgreSQL",
    "redis": "Redis",
    "aioredis": "Redis",
    "pika": "RabbitMQ",
    "aio_pika": "RabbitMQ",
    "aiormq": "RabbitMQ",
    "kombu": "a message broker",
    "pymongo": "MongoDB",
    "motor": "MongoDB",
    "nats": "NATS",
    "pulsar": "Pulsar",
    "google.cloud.pubsub": "Google Pub/Sub",
    "google.cloud.pubsub_v1": "Google Pub/Sub",
    "azure.servicebus": "Azure Service Bus",
    "azure.eventhub": "Azure Event Hubs",
}
# boto3/aioboto3 are fine for S3 and friends; these services are what Dapr replaces.
AWS_MESSAGING = frozenset({"sqs", "sns", "kinesis", "dynamodb", "eventbridge", "events"})
AWS_SDKS = frozenset({"boto3", "aioboto3", "aiobotocore", "botocore"})


class InfrastructureClient(Rule):
    id = "DAPR002"
    name = "infrastructure-client"
    message = "a broker or database client is used directly instead of Dapr"
    why = (
        "Talking to Kafka, Postgres, Redis or a cloud queue directly ties the service to one "
        "product and bypasses the sidecar's retries, scoping, tracing and access control. Swapping "
        "the component then means rewriting code instead of changing a YAML file."
    )
    fix = (
        "Publish and subscribe with `DaprClient.publish_event` and Dapr subscriptions; keep state "
        "with `save_state`/`get_state`; reach other systems through output bindings "
        "(`invoke_binding`)."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(c: DaprClient) -> None:\n"
        "    await c.publish_event('pubsub', 'orders', '{}', "
        "data_content_type='application/json')\n",
        "import boto3\n\ns3 = boto3.client('s3')\n",
    )
    INVALID = (
        Invalid("from aiokafka import AIOKafkaProducer\n", line=1, col=1),
        Invalid("import redis.asyncio as r\n", line=1, col=8),
        Invalid("import psycopg2\n", line=1, col=8),
        Invalid("from google.cloud import pubsub_v1\n", line=1, col=26),
        Invalid("import boto3\n\nqueue = boto3.client('sqs')\n", line=3, col=9),
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
        if service in AWS_MESSAGING and (owner in AWS_SDKS or AWS_SDKS & self._top_modules()):
            self.report(node, f"AWS {service} client used directly instead of Dapr")

    def _top_modules(self) -> set[str]:
        return {name.partition(".")[0] for name in self.ctx.imports.imported_modules()}

    def _check_module(self, node: ast.AST, module: str) -> bool:
        for prefix, product in INFRA_MODULES.items():
            if module == prefix or module.startswith(prefix + "."):
                self.report(node, f"`{module}` talks to {product} directly instead of through Dapr")
                return True
        return False
