"""Pure webhook rules: payload, identities, event-type filtering, secret rotation and grace."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.webhooks import (
    MAX_SIGNING_SECRETS,
    ORDER_EVENT_TYPES,
    ROTATION_GRACE,
    WEBHOOK_TEST,
    WebhookEndpoint,
    build_event_payload,
    checked_event_types,
    delivery_id_for,
    disable,
    new_endpoint,
    order_event_data,
    reconfigure,
    rotate_secret,
    webhook_id_for,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
EVENT_ID = "evt_01JNKZ5Q4W5X6Y7Z8A9B0C1D2E"


def endpoint(event_types: tuple[str, ...] = ()) -> WebhookEndpoint:
    return new_endpoint(
        "prov-a", "whep_1", "https://hooks.example.com/x", event_types, "whsec_A", T0
    )


def test_payload_is_compact_json_with_type_utc_timestamp_and_the_order() -> None:
    at = datetime(2025, 3, 3, 10, 0, 1, 500, tzinfo=timezone(timedelta(hours=1)))
    text = build_event_payload("order.created", at, order_event_data({"id": "ord_1", "x": "å"}))
    assert json.loads(text) == {
        "type": "order.created",
        "timestamp": "2025-03-03T09:00:01.000500Z",
        "data": {"order": {"id": "ord_1", "x": "å"}},
    }
    # Serialized once and sent as is: no whitespace to disagree about.
    assert ", " not in text and ": " not in text


def test_delivery_and_webhook_ids_derive_from_the_event_id() -> None:
    assert delivery_id_for(EVENT_ID) == "dlv_01JNKZ5Q4W5X6Y7Z8A9B0C1D2E"
    assert webhook_id_for(EVENT_ID) == "msg_01JNKZ5Q4W5X6Y7Z8A9B0C1D2E"
    assert delivery_id_for(EVENT_ID) == delivery_id_for(EVENT_ID)
    with pytest.raises(ValueError):
        delivery_id_for("not-an-event")


def test_an_empty_subscription_means_every_order_event() -> None:
    everything = endpoint()
    assert all(everything.wants(t) for t in ORDER_EVENT_TYPES)


def test_a_subscription_filters_order_events_but_never_the_test_event() -> None:
    created_only = endpoint(checked_event_types(["order.created"]))
    assert created_only.wants("order.created")
    assert not created_only.wants("order.status_changed")
    assert not created_only.wants("order.activation_changed")
    assert created_only.wants(WEBHOOK_TEST)


def test_event_types_are_deduplicated_in_a_fixed_order_and_unknown_ones_refused() -> None:
    assert checked_event_types(["order.status_changed", "order.created", "order.created"]) == (
        "order.created",
        "order.status_changed",
    )
    assert checked_event_types(None) == ()
    with pytest.raises(InvalidInput) as refused:
        checked_event_types(["order.created", "order.deleted"])
    assert "order.deleted" in refused.value.message


def test_after_rotation_both_secrets_sign_during_the_grace_period_newest_first() -> None:
    rotated = rotate_secret(endpoint(), "whsec_B", T0 + timedelta(hours=1))
    assert rotated.signing_secrets(T0 + timedelta(hours=2)) == ["whsec_B", "whsec_A"]
    assert rotated.version == 2


def test_the_old_secret_stops_signing_when_the_default_grace_of_24_hours_ends() -> None:
    rotated_at = T0 + timedelta(hours=1)
    rotated = rotate_secret(endpoint(), "whsec_B", rotated_at)
    assert timedelta(hours=24) == ROTATION_GRACE
    just_before = rotated_at + ROTATION_GRACE - timedelta(seconds=1)
    assert rotated.signing_secrets(just_before) == ["whsec_B", "whsec_A"]
    assert rotated.signing_secrets(rotated_at + ROTATION_GRACE) == ["whsec_B"]


def test_a_second_rotation_does_not_extend_an_old_secrets_grace() -> None:
    first = rotate_secret(endpoint(), "whsec_B", T0, grace=timedelta(hours=24))
    second = rotate_secret(first, "whsec_C", T0 + timedelta(hours=10), grace=timedelta(hours=24))
    at_25h = T0 + timedelta(hours=25)
    assert second.signing_secrets(at_25h) == ["whsec_C", "whsec_B"]  # A ended at 24 h


def test_expired_secrets_are_dropped_and_only_the_newest_few_kept() -> None:
    current = endpoint()
    for i in range(MAX_SIGNING_SECRETS + 3):
        current = rotate_secret(current, f"whsec_{i}", T0 + timedelta(minutes=i))
    assert len(current.secrets) == MAX_SIGNING_SECRETS
    assert current.signing_secrets(T0 + timedelta(hours=1))[0] == f"whsec_{MAX_SIGNING_SECRETS + 2}"
    # Three days on, only the then-current secret is still signing: it alone gets a grace.
    later = rotate_secret(current, "whsec_new", T0 + timedelta(days=3))
    assert [s.value for s in later.secrets] == ["whsec_new", f"whsec_{MAX_SIGNING_SECRETS + 2}"]


def test_reconfiguring_keeps_the_secrets_and_enables_a_disabled_endpoint() -> None:
    gone = disable(endpoint(), "gone", T0)
    assert gone.disabled
    again = reconfigure(gone, "https://hooks.example.com/new", ("order.created",), T0)
    assert not again.disabled and again.disabled_reason is None
    assert again.signing_secrets(T0) == ["whsec_A"]
    assert again.url.endswith("/new") and again.version == gone.version + 1


def test_secrets_and_url_stay_out_of_the_repr() -> None:
    shown = repr(rotate_secret(endpoint(), "whsec_SECRETVALUE", T0))
    assert "whsec_" not in shown and "hooks.example.com" not in shown
