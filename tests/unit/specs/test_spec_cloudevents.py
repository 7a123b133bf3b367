"""`publications.<topic>.type` and `source`: the CloudEvent attributes subscribers route on."""

from __future__ import annotations

from typing import Any

from spec_support import PAYMENTS, problems

from tools.specs import load_spec


def test_the_example_names_its_payment_requests() -> None:
    requested = load_spec(PAYMENTS).publications["payment-requested"]
    assert (requested.type, requested.source) == ("com.example.payment.requested", "/payments")


def test_a_type_with_a_space_is_refused_with_its_path(payments: dict[str, Any]) -> None:
    payments["publications"]["payment-captured"]["type"] = "payment captured"

    assert problems(payments) == [
        "publications.payment-captured.type: 'payment captured' is not a CloudEvent type or "
        "source daprdev writes: a reverse-DNS name ('com.example.order.placed') or a URI "
        "reference ('/orders'), no spaces or quotes",
    ]


def test_the_outbox_topic_cannot_be_given_attributes_daprd_sets(
    payments: dict[str, Any],
) -> None:
    payments["publications"]["payment-pending"]["source"] = "/payments"

    assert problems(payments) == [
        "publications.payment-pending.source: daprd's outbox (state_stores.statestore) "
        "publishes on this topic with its own CloudEvent source; the app cannot set it",
    ]
