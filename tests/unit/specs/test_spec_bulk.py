"""`publications.<topic>.bulk`: POST <route>/bulk, beside the publication's own route."""

from __future__ import annotations

from typing import Any

from spec_support import problems


def test_a_bulk_publication_needs_a_route_and_takes_its_bulk_path(
    payments: dict[str, Any],
) -> None:
    payments["publications"]["payment-pending"]["bulk"] = True  # no route
    payments["publications"]["payment-captured"]["bulk"] = True  # /payments/captured/bulk
    payments["publications"]["payment-window-extended"]["route"] = "/payments/captured/bulk"

    assert problems(payments) == [
        "publications.payment-window-extended.route: /payments/captured/bulk is already used by "
        "publications.payment-captured",
        "publications.payment-pending.bulk: the bulk route is served beside the publication's "
        "route (POST <route>/bulk); give the publication a route",
    ]


def test_a_bulk_publication_with_its_route_is_valid(payments: dict[str, Any]) -> None:
    payments["publications"]["payment-requested"]["bulk"] = True

    assert problems(payments) == []
