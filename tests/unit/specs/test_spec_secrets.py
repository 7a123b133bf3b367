"""The `secrets` section: component metadata read through secretKeyRef, never in plain text."""

from __future__ import annotations

from typing import Any

from spec_support import PAYMENTS, problems

from tools.specs import load_spec
from tools.specs.model import SecretRef


def binding(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = data["bindings"]["output"]["expired-payments"]
    return found


def test_the_example_reads_its_binding_folder_from_the_secret_store() -> None:
    spec = load_spec(PAYMENTS)
    assert spec.secrets is not None
    assert spec.secrets.type == "secretstores.local.file"
    assert spec.secrets.sample_file == "secrets.sample.json"
    value = spec.bindings.output["expired-payments"].metadata["rootPath"]
    assert value == SecretRef(secret="expired-payments-root")


def test_a_plain_text_credential_is_refused_with_the_fix(payments: dict[str, Any]) -> None:
    binding(payments)["metadata"]["smtpPassword"] = "hunter2hunter2"
    binding(payments)["metadata"]["redisPassword"] = ""  # no credential: nothing to hide

    assert problems(payments) == [
        "bindings.output.expired-payments.metadata.smtpPassword: a credential in plain text "
        "would land in components/expired-payments.yaml, which is committed; declare it under "
        "secrets.names (e.g. 'expired-payments-smtp-password') and write smtpPassword: "
        "{secret: expired-payments-smtp-password}"
    ]


def test_every_secret_problem_is_reported_at_once_with_its_path(
    payments: dict[str, Any],
) -> None:
    binding(payments)["metadata"] = {
        "rootPath": {"secret": "expired-payments-rot"},
        "apiKey": {"secrt": "x"},
        "token": 3,
    }
    payments["secrets"]["store"] = "statestore"
    payments["secrets"]["file"] = "../outside.json"

    found = problems(payments)

    assert "bindings.output.expired-payments.metadata.apiKey: unknown key 'secrt'" in found[0:2]
    assert (
        "bindings.output.expired-payments.metadata.apiKey: missing required key 'secret'"
        in (found[0:2])
    )
    assert any(p.startswith("bindings.output.expired-payments.metadata.token: ") for p in found)
    assert any(p.startswith("secrets.file: ") for p in found)
    assert len(found) == 4  # cross-section checks wait for the structure to be valid


def test_cross_section_secret_problems(payments: dict[str, Any]) -> None:
    binding(payments)["metadata"]["rootPath"] = {"secret": "expired-payments-rot"}
    payments["secrets"]["store"] = "statestore"

    assert problems(payments) == [
        "bindings.output.expired-payments.metadata.rootPath: unknown secret "
        "'expired-payments-rot' (did you mean 'expired-payments-root'?)",
        "secrets.store: 'statestore' is already the name of another component; name the "
        "secret store apart",
    ]


def test_a_secret_reference_needs_a_secret_store(payments: dict[str, Any]) -> None:
    del payments["secrets"]

    assert problems(payments) == [
        "bindings.output.expired-payments.metadata.rootPath: reads secret "
        "'expired-payments-root', but the spec declares no secret store; add secrets: "
        "{names: {expired-payments-root: <what it is>}}",
        "state_stores.declines.metadata.connectionString: reads secret 'declines-db', but the "
        "spec declares no secret store; add secrets: {names: {declines-db: <what it is>}}",
    ]


def test_two_secrets_a_hook_would_read_by_one_name_are_refused(payments: dict[str, Any]) -> None:
    payments["secrets"]["names"]["expired.payments.root"] = "the same name to a hook"

    assert problems(payments) == [
        "secrets.names.expired.payments.root: 'expired-payments-root' and "
        "'expired.payments.root' would both be read as "
        "context.secrets.get_expired_payments_root(); name them apart"
    ]


def declines(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = data["state_stores"]["declines"]
    return found


def test_a_state_store_reads_its_connection_string_from_the_secret_store(
    payments: dict[str, Any],
) -> None:
    declines(payments)["metadata"] = {"connectionString": {"secret": "declines-postgres"}}
    payments["secrets"]["names"]["declines-postgres"] = "the declines database"

    assert problems(payments) == []


def test_a_state_store_credential_in_plain_text_is_refused(payments: dict[str, Any]) -> None:
    declines(payments)["metadata"] = {
        "connectionString": "host=db user=app password=hunter2",
        "timeoutInSeconds": "20",  # no credential
    }

    assert problems(payments) == [
        "state_stores.declines.metadata.connectionString: a credential in plain text would land "
        "in components/declines.yaml, which is committed; declare it under secrets.names (e.g. "
        "'declines-connection-string') and write connectionString: "
        "{secret: declines-connection-string}"
    ]


def test_a_sqlite_connection_string_is_a_file_path_not_a_credential(
    payments: dict[str, Any],
) -> None:
    payments["state_stores"]["statestore"]["type"] = "state.sqlite"
    payments["state_stores"]["statestore"]["metadata"] = {"connectionString": "data/orders.db"}

    assert problems(payments) == []


def test_a_state_store_secret_must_be_declared(payments: dict[str, Any]) -> None:
    declines(payments)["metadata"] = {"connectionString": {"secret": "declines-pg"}}

    (problem,) = problems(payments)
    assert problem.startswith("state_stores.declines.metadata.connectionString: unknown secret")


def test_the_tables_and_the_outbox_settings_stay_the_generators(
    payments: dict[str, Any],
) -> None:
    declines(payments)["metadata"] = {"tableName": "shared"}
    payments["state_stores"]["statestore"]["metadata"] = {"outboxPublishTopic": "elsewhere"}

    assert problems(payments) == [
        "state_stores.statestore.metadata.outboxPublishTopic: daprdev writes outboxPublishTopic "
        "itself (it comes from the store's outbox section); drop it from the metadata",
        "state_stores.declines.metadata.tableName: daprdev writes tableName itself (each store "
        "gets tables of its own, so a query sees only its items); drop it from the metadata",
    ]
