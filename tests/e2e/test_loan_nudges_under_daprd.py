"""Recurring per-key jobs and a bulk publish (tests/e2e/specs/loan-nudges) under the real daprd.

A per-key job with a `schedule` recurs for its key until a `cancel` action deletes it, or until it
has fired `repeats` times; with a `due_time_field` too, its first tick is at that time. What is
observed is what daprd triggers: each `POST /job/<name>` the app receives. A batch posted to
`/loans/bulk` goes out in one bulk publish request, each loan under its own CloudEvent id, and each
is delivered and handled (its jobs scheduled).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness.generated import GeneratedService, generate_service, manifests, timed_service
from harness.stack import DaprStack, Service
from harness.wait import eventually

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).parent / "specs" / "loan-nudges"


@pytest.fixture(scope="module")
def nudges(tmp_path_factory: pytest.TempPathFactory) -> GeneratedService:
    return generate_service(SPEC, tmp_path_factory.mktemp("nudges"))


@pytest.fixture
def running(dapr_stack: DaprStack, nudges: GeneratedService, tmp_path: Path) -> Iterator[Service]:
    service = timed_service(
        dapr_stack,
        nudges,
        manifests=manifests(nudges, data_dir=tmp_path / "data"),
    )
    service.start()
    yield service


def ticks(service: Service, job: str) -> list[dict[str, Any]]:
    """The triggers of `job` the app received, in order."""
    return [r for r in service.app.http.get("/__deliveries").json() if r["path"] == f"/job/{job}"]


def open_loan(service: Service, *, starts_in: float) -> tuple[str, datetime]:
    loan = f"loan-{uuid.uuid4().hex[:8]}"
    starts_at = datetime.now(UTC) + timedelta(seconds=starts_in)
    body = {"loan_id": loan, "starts_at": starts_at.isoformat()}
    response = service.app.http.post("/loans", json=body)
    assert response.status_code == 202, response.text
    return loan, starts_at


def test_a_recurring_per_key_job_ticks_until_its_key_is_cancelled(running: Service) -> None:
    returned, _ = open_loan(running, starts_in=60)
    control, _ = open_loan(running, starts_in=60)
    eventually(
        lambda: (
            len(ticks(running, f"nudge-{returned}")) >= 2
            and len(ticks(running, f"nudge-{control}")) >= 2
        ),
        timeout=30,
        what="both loans' nudge jobs ticking",
    )

    response = running.app.http.post("/loans/returned", json={"loan_id": returned})

    assert response.status_code == 202, response.text
    job = f"nudge-{returned}"
    eventually(lambda: running.sidecar.get_job(job) is None, timeout=20, what=f"{job} deleted")
    time.sleep(1.5)  # a tick already triggered when the job was deleted lands by now
    after_cancel = len(ticks(running, job))
    control_before = len(ticks(running, f"nudge-{control}"))
    time.sleep(4)
    assert len(ticks(running, job)) == after_cancel  # no tick since: the job is gone
    assert len(ticks(running, f"nudge-{control}")) >= control_before + 2  # the other key's ticks on
    assert running.sidecar.get_job(f"nudge-{control}") is not None
    assert all(t["status"] == 200 for t in ticks(running, f"nudge-{control}"))


def test_a_recurring_per_key_job_starts_at_its_due_time_and_stops_after_its_repeats(
    running: Service,
) -> None:
    loan, starts_at = open_loan(running, starts_in=4)
    job = f"reminder-{loan}"
    eventually(
        lambda: running.sidecar.get_job(job) is not None, timeout=20, what=f"{job} scheduled"
    )

    eventually(lambda: len(ticks(running, job)) >= 3, timeout=30, what=f"{job} fired three times")
    time.sleep(3)  # a fourth tick would be due a second after the third

    fired = ticks(running, job)
    assert len(fired) == 3, fired
    assert min(t["started"] for t in fired) >= starts_at.timestamp() - 0.5  # not before its time
    assert all(t["status"] == 200 for t in fired)


def test_loans_opened_in_one_bulk_publish_are_each_handled(running: Service) -> None:
    starts_at = (datetime.now(UTC) + timedelta(seconds=60)).isoformat()
    loans = [f"loan-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    batch = [{"loan_id": loan, "starts_at": starts_at} for loan in loans]

    response = running.app.http.post("/loans/bulk", json=batch)

    assert response.status_code == 202, response.text
    assert sorted(response.json()["ids"]) == sorted(loans)  # each under its business key
    for loan in loans:  # each delivered through daprd and handled: its jobs are scheduled
        eventually(
            lambda loan=loan: running.sidecar.get_job(f"reminder-{loan}") is not None,
            timeout=20,
            what=f"the reminder of {loan}",
        )
    again = running.app.http.post("/loans/bulk", json=batch)  # a resend of the same batch
    assert again.status_code == 202 and again.json()["ids"] == response.json()["ids"]
