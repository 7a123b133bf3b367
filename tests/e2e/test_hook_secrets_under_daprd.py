"""A hook reading a secret (tests/e2e/specs/secret-greetings) under the real daprd.

The hook is written here as its user would write it: it reads the salutation through
`context.secrets` and saves the greeting it makes. The secret lives only in the secrets file the
generated `secretstores.local.file` component reads; the greeting is read back through the store's
read route.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from harness.components import Manifest
from harness.generated import GeneratedService, generate_service, manifests, timed_service
from harness.stack import DaprStack, Service
from harness.wait import eventually

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).parent / "specs" / "secret-greetings"
HOOK = '''"""Greets with the salutation kept in the secret store."""

from __future__ import annotations

from secret_greetings.hooks import Context
from secret_greetings.models import Greeting, GreetingRequested


async def handle(event: GreetingRequested, context: Context) -> None:
    salutation = await context.secrets.get_salutation()
    text = f"{salutation}, {event.name}"
    context.state.greetings.save(Greeting(greeting_id=event.greeting_id, text=text))
'''


@pytest.fixture(scope="module")
def greetings(tmp_path_factory: pytest.TempPathFactory) -> GeneratedService:
    service = generate_service(SPEC, tmp_path_factory.mktemp("greetings"))
    (service.root / service.package / "handlers" / "on_greeting_requested.py").write_text(
        HOOK, encoding="utf-8"
    )
    return service


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"salutation": "Ahoy"}), encoding="utf-8")
    return path


@pytest.fixture
def running(
    dapr_stack: DaprStack, greetings: GeneratedService, secrets_file: Path, tmp_path: Path
) -> Iterator[Service]:
    store: Manifest = yaml.safe_load(
        (greetings.root / "components" / "secretstore.yaml").read_text(encoding="utf-8")
    )
    for item in store["spec"]["metadata"]:
        if item["name"] == "secretsFile":
            item["value"] = str(secrets_file)
    service = timed_service(
        dapr_stack,
        greetings,
        manifests=[*manifests(greetings, data_dir=tmp_path / "data"), store],
    )
    service.start()
    yield service


def greet(service: Service, name: str) -> str:
    greeting_id = f"greeting-{uuid.uuid4().hex[:8]}"
    response = service.app.http.post("/greetings", json={"greeting_id": greeting_id, "name": name})
    assert response.status_code == 202, response.text
    return greeting_id


def stored_text(service: Service, greeting_id: str) -> str | None:
    response = service.app.http.get(f"/greetings/{greeting_id}")
    return str(response.json()["text"]) if response.status_code == 200 else None


def test_a_hook_reads_its_secret_from_the_secret_store(running: Service) -> None:
    greeting = greet(running, "Ada")

    eventually(lambda: stored_text(running, greeting) is not None, timeout=20, what="the greeting")
    assert stored_text(running, greeting) == "Ahoy, Ada"  # the salutation only the file holds
