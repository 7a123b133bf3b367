"""Secrets in the generated service: the store's component, secretKeyRef values, the git-ignored
secrets file and its sample."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from codegen_support import EXAMPLE, PAYMENTS

from tools.codegen.render import render_service
from tools.specs import load_spec
from tools.specs.loader import validate_data


def rendered(spec_dir: Path) -> dict[str, str]:
    return {f.path: f.content for f in render_service(load_spec(spec_dir))}


def components(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    found = {}
    for path, text in files.items():
        if path.startswith("components/") and path.count("/") == 1:
            document = yaml.safe_load(text)
            if document["kind"] == "Component":
                found[document["metadata"]["name"]] = document
    return found


def test_a_secret_value_is_a_secret_key_ref_of_the_declared_store() -> None:
    found = components(rendered(PAYMENTS))

    binding = found["expired-payments"]
    assert binding["auth"] == {"secretStore": "secretstore"}
    reference = {"name": "expired-payments-root", "key": "expired-payments-root"}
    assert {"name": "rootPath", "secretKeyRef": reference} in binding["spec"]["metadata"]
    declines = found["declines"]  # a state store's password, the same way
    assert declines["auth"] == {"secretStore": "secretstore"}
    reference = {"name": "declines-db", "key": "declines-db"}
    assert {"name": "connectionString", "secretKeyRef": reference} in declines["spec"]["metadata"]
    store = found["secretstore"]
    assert store["spec"]["type"] == "secretstores.local.file"
    assert {"name": "secretsFile", "value": "secrets.json"} in store["spec"]["metadata"]


def test_the_secrets_file_is_git_ignored_and_its_sample_lists_every_name() -> None:
    files = rendered(PAYMENTS)

    assert "secrets.json" not in files
    assert json.loads(files["secrets.sample.json"]) == {
        "declines-db": "",
        "expired-payments-root": "",
    }
    assert "/secrets.json" in files[".gitignore"].splitlines()
    assert "secrets.sample.json" in files["README.md"]


def test_the_readme_says_which_component_field_reads_each_secret() -> None:
    data = yaml.safe_load((PAYMENTS / "service.yaml").read_text(encoding="utf-8"))
    data["secrets"]["names"]["provider-key"] = "the payment provider's API key, for a hook"
    spec, problems = validate_data(data)
    assert spec is not None, problems

    readme = {f.path: f.content for f in render_service(spec)}["README.md"]
    rows = {line.split(" | ")[0]: line for line in readme.splitlines() if line.startswith("| `")}

    assert rows["| `declines-db`"].endswith("| `connectionString` of `components/declines.yaml` |")
    root = rows["| `expired-payments-root`"]
    assert root.endswith("| `rootPath` of `components/expired-payments.yaml` |")
    assert rows["| `provider-key`"].endswith("| the hooks only (`context.secrets`) |")


def test_a_spec_without_secrets_gets_no_store_and_literal_values() -> None:
    files = rendered(EXAMPLE)

    assert not any("secret" in path for path in files)
    for document in components(files).values():
        assert "auth" not in document
        assert all("secretKeyRef" not in item for item in document["spec"]["metadata"])


def test_an_input_binding_reads_a_secret_too() -> None:
    data = yaml.safe_load((PAYMENTS / "service.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["bindings"]["input"] = {
        "orders-feed": {
            "type": "bindings.kafka",
            "metadata": {"saslPassword": {"secret": "kafka-password"}, "topics": "orders"},
        }
    }
    data["secrets"]["names"]["kafka-password"] = "the Kafka user's password"
    spec, problems = validate_data(data)
    assert spec is not None, problems

    document = components({f.path: f.content for f in render_service(spec)})["orders-feed"]

    assert document["auth"] == {"secretStore": "secretstore"}
    reference = {"name": "kafka-password", "key": "kafka-password"}
    assert document["spec"]["metadata"][:2] == [
        {"name": "saslPassword", "secretKeyRef": reference},
        {"name": "topics", "value": "orders"},
    ]


def test_a_state_store_reads_its_connection_string_through_a_secret_key_ref() -> None:
    data = yaml.safe_load((PAYMENTS / "service.yaml").read_text(encoding="utf-8"))
    # The spec's own secret, under another name, beside a plain setting.
    data["state_stores"]["declines"]["metadata"] = {
        "connectionString": {"secret": "declines-postgres"},
        "timeoutInSeconds": "20",
    }
    data["secrets"]["names"]["declines-postgres"] = "the declines database"
    spec, problems = validate_data(data)
    assert spec is not None, problems

    files = {f.path: f.content for f in render_service(spec)}
    found = components(files)

    declines = found["declines"]
    assert declines["auth"] == {"secretStore": "secretstore"}
    metadata = declines["spec"]["metadata"]
    reference = {"name": "declines-postgres", "key": "declines-postgres"}
    assert {"name": "connectionString", "secretKeyRef": reference} in metadata
    assert {"name": "timeoutInSeconds", "value": "20"} in metadata
    # The generator's own settings stay: a table of its own.
    assert {"name": "tableName", "value": "order_payments_declines"} in metadata
    assert "password" not in files["components/declines.yaml"]
    assert "auth" not in found["statestore"]  # a store reading no secret
    assert json.loads(files["secrets.sample.json"])["declines-postgres"] == ""


def test_a_secrets_file_of_its_own_gets_its_sample_beside_it() -> None:
    # As specs/README.md says: `secrets.file: secrets/local.json`, sample secrets/local.sample.json.
    data = yaml.safe_load((PAYMENTS / "service.yaml").read_text(encoding="utf-8"))
    data["secrets"]["file"] = "secrets/local.json"
    spec, problems = validate_data(data)
    assert spec is not None, problems
    files = {f.path: f.content for f in render_service(spec)}

    assert set(json.loads(files["secrets/local.sample.json"])) == set(data["secrets"]["names"])
    assert "secrets.sample.json" not in files
    assert "/secrets/local.json" in files[".gitignore"].splitlines()
    store = components(files)["secretstore"]
    assert {"name": "secretsFile", "value": "secrets/local.json"} in store["spec"]["metadata"]
