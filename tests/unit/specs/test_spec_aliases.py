"""`alias` on a field: its name in another party's JSON, read beside the snake_case name."""

from __future__ import annotations

from typing import Any

from spec_support import PAYMENTS, problems

from tools.specs import load_spec


def test_the_example_reads_the_providers_order_id() -> None:
    captured = load_spec(PAYMENTS).events["PaymentCaptured"]
    assert captured.fields["order_id"].alias == "orderId"
    assert captured.fields["amount"].alias is None


def test_an_alias_daprdev_would_not_write_is_refused_with_its_path(
    payments: dict[str, Any],
) -> None:
    payments["events"]["PaymentCaptured"]["fields"]["amount"] = {"type": "float", "alias": "a b"}

    assert problems(payments) == [
        "events.PaymentCaptured.fields.amount.alias: 'a b' is not a JSON name "
        "daprdev writes; use letters, digits and _ $ @ . : - (at most 100)",
    ]


def test_one_json_name_for_two_fields_is_refused(payments: dict[str, Any]) -> None:
    fields = payments["events"]["PaymentCaptured"]["fields"]
    fields["amount"] = {"type": "float", "alias": "order_id"}  # another field's own name

    assert problems(payments) == [
        "events.PaymentCaptured: 'order_id' would name both 'order_id' and "
        "'amount' in JSON; give each field its own alias",
    ]
    fields["amount"] = {"type": "float", "alias": "orderId"}  # another field's alias
    assert problems(payments)[0].startswith(
        "events.PaymentCaptured: 'orderId' would name both 'order_id' and 'amount'"
    )


def test_a_keyword_is_a_json_name_like_any_other(payments: dict[str, Any]) -> None:
    payments["events"]["PaymentCaptured"]["fields"]["sender"] = {"type": "str", "alias": "from"}
    assert problems(payments) == []
