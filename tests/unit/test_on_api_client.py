"""ON-API 2.6 replies -> typed results, and the client through a fake transport.

The fixtures are the spec's own examples (tests/fixtures/on_api/README.md names the page of
each). Where the spec contradicts itself the client accepts both readings:

- the 201 of common/responses.md has no `orderId` and a path under `/onapi/api/2.6/`;
  orders.md has both `orderId` and `/onapi/2.6/`: the id is `orderId`, else the last
  segment of `path`, else of `Location`;
- "service already active" (responses.md) is a 200 without `path` or `orderId`: `ok`,
  `repeated`, no order id;
- services.md documents `validValues` and sends `values`; both are read;
- availableDateTime is "mandatory" but may be "": read as unknown (not orderable now);
- accesses.md says null is never valid, dataformats.md that optional fields may be null:
  null reads as absent; mduApartmentNumber is "a JSON number" with the example "1001" (a
  string): both read as a string; priceGroup is an "enumeration" (a string) holding an
  integer: both read as an integer;
- orderevents.md does not say whether `since` is inclusive: an echoed `since` is dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.citynet.on_api.feeds import parse_accesses, parse_order_events
from chalicelib.adapters.citynet.on_api.replies import (
    deliverability,
    parse_cancel,
    parse_order,
    parse_order_object,
    parse_services,
)
from chalicelib.adapters.citynet.on_api.values import judge

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "on_api"
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 6, 1, tzinfo=UTC)
LAST_MODIFIED = {"last-modified": "Mon, 04 Feb 2019 18:22:33 GMT"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parsed(kind: str, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    headers = headers or {}
    if kind == "services":
        return parse_services(status, body, headers, access_id="8732c2f065e2490babce820e94b1011a")
    if kind == "place":
        return parse_order(status, body, headers, method="order_activate", placing=True)
    if kind == "get":
        return parse_order(status, body, headers, method="order_get", placing=False)
    if kind == "events":
        return parse_order_events(status, body, headers, since=None)
    if kind == "accesses":
        return parse_accesses(status, body, headers, if_modified_since=None)
    raise AssertionError(kind)


# file -> (parser, HTTP status the spec sends it with, outcome, code)
REPLIES = {
    "responses.400.json": ("place", 400, "refused", "400"),
    "responses.500.json": ("place", 500, "transient", "http_500"),
    "responses.501.json": ("services", 501, "transient", "http_501"),
    "responses.order.201.json": ("place", 201, "ok", "201"),
    "responses.order.400.json": ("place", 400, "refused", "400"),
    "responses.order.409.another_active.json": ("place", 409, "refused", "409"),
    "responses.order.400.another_active.json": ("place", 400, "refused", "400"),
    "responses.order.200.active_order.json": ("place", 200, "ok", "200"),
    "responses.order.200.already_active.json": ("place", 200, "ok", "200"),
    "responses.order.409.claimed.json": ("place", 409, "refused", "409"),
    "responses.order.400.claimed.json": ("place", 400, "refused", "400"),
    "services.single.json": ("services", 200, "ok", "200"),
    "services.all.json": ("services", 200, "ok", "200"),
    "orders.get.json": ("get", 200, "ok", "200"),
    "orders.activate.201.json": ("place", 201, "ok", "201"),
    "orders.deactivate.201.json": ("place", 201, "ok", "201"),
    "orders.change.201.json": ("place", 201, "ok", "201"),
    "orders.suspend.201.json": ("place", 201, "ok", "201"),
    "orders.resume.201.json": ("place", 201, "ok", "201"),
    "orders.modify.201.json": ("place", 201, "ok", "201"),
    "orderevents.all.json": ("events", 200, "ok", "200"),
    "orderevents.since.json": ("events", 200, "ok", "200"),
    "accesses.all.json": ("accesses", 200, "ok", "200"),
}
# Objects rather than replies: each element/object must read as an order or an access.
ORDER_OBJECTS = ("orders.list.unfinished.json", "orders.list.by_access.json")
ORDER_OBJECTS += ("orders.list.by_state.json",)
ACCESS_OBJECTS = ("accesses.single.json",)
# Requests: what the client sends is compared with the ones it uses; the rest are not sent.
REQUESTS = ("orders.activate.request.json", "orders.deactivate.request.json")
NOT_SENT = tuple(f"orders.{op}.request.json" for op in ("change", "suspend", "resume", "modify"))
NOT_SENT += ("orders.put.request.json", "orders.patch.request.json")


def test_every_fixture_has_an_expectation() -> None:
    listed = {*REPLIES, *ORDER_OBJECTS, *ACCESS_OBJECTS, *REQUESTS, *NOT_SENT}
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(listed)
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in listed), "the README names every file's page"


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_every_spec_reply_parses_to_its_outcome(name: str) -> None:
    kind, status, outcome, code = REPLIES[name]
    result = parsed(kind, fixture(name), status)
    assert (result.outcome, result.code) == (outcome, code)
    if outcome == "refused":
        assert result.message == json.loads(fixture(name))["cause"]


@pytest.mark.parametrize("name", [*ORDER_OBJECTS, *ACCESS_OBJECTS, *REQUESTS, *NOT_SENT])
def test_the_other_examples_are_orders_accesses_or_requests(name: str) -> None:
    data = json.loads(fixture(name))
    if name in ORDER_OBJECTS:
        orders = [parse_order_object(row) for row in data]
        assert [o.order_id for o in orders if o] == ["f3f26446f6e8407aae876ea8e52d7417"]
    elif name in ACCESS_OBJECTS:
        (row,) = parsed("accesses", json.dumps([data]).encode()).accesses
        assert row.access_id == data["accessId"]
    else:
        assert isinstance(data, dict) and data


# --- the examples, field by field -------------------------------------------------------


def test_services_of_one_access() -> None:
    result = parsed("services", fixture("services.single.json"))
    assert [s.service for s in result.services] == [
        "BB-1000-1000", "BB-100-100", "BB-10-10", "IPTV", "VOIP"
    ]  # fmt: skip
    fast = result.service("BB-1000-1000")
    assert fast.available_at == datetime(2014, 3, 1, 14, 9, 23, tzinfo=UTC)
    assert fast.disconnection_at is None  # "" is no date
    assert fast.comments == (
        "This service is limited to 100 Mbps for up to two weeks after ordering",
    )
    assert fast.characteristics["SLA"].values == ("SLA-1", "SLA-2", "SLA-3")
    assert fast.characteristics["fixedIp"].values == (True, False)
    assert fast.characteristics["ipAddress"].values is None
    assert fast.required_characteristics() == ()
    assert result.service("VOIP").forced_takeover_possible is True
    assert parsed("services", fixture("services.all.json")).services == result.services


@pytest.mark.parametrize(
    ("service", "outcome", "code"),
    [
        ("BB-1000-1000", "ok", "200"),
        ("BB-10-10", "refused", "disconnected"),  # disconnection 2018
        ("IPTV", "refused", "not_available_yet"),  # available 3030
        ("VOIP", "refused", "not_connected"),  # connection 3030
        ("TV-XL", "refused", "not_offered"),
    ],
)
def test_deliverability_from_the_services_example(service: str, outcome: str, code: str) -> None:
    result = deliverability(parsed("services", fixture("services.single.json")), service, NOW)
    assert (result.outcome, result.code) == (outcome, code)


def test_deliverability_carries_dates_takeover_and_the_customers_comments() -> None:
    services = parsed("services", fixture("services.single.json"))
    ok = deliverability(services, "BB-1000-1000", NOW)
    assert ok.message == "This service is limited to 100 Mbps for up to two weeks after ordering"
    assert ok.extra["available_at"] == "2014-03-01T14:09:23+00:00"
    assert ok.extra["forced_takeover_possible"] == "false"
    held = json.dumps({"services": [{"service": "BB", "availableDateTime": "",
                                     "forcedTakeoverPossible": True,
                                     "characteristics": {"SLA": {"required": True}}}]})  # fmt: skip
    taken = deliverability(parsed("services", held.encode()), "BB", NOW)
    assert (taken.outcome, taken.code) == ("refused", "forced_takeover_required")
    assert taken.extra["required_characteristics"] == "SLA"
    unknown = held.replace('"forcedTakeoverPossible": true', '"forcedTakeoverPossible": false')
    assert deliverability(parsed("services", unknown.encode()), "BB", NOW).code == "not_available"


def test_an_order_of_orders_md() -> None:
    order = parsed("get", fixture("orders.get.json")).order
    assert order.order_id == "f3f26446f6e8407aae876ea8e52d7417"
    assert (order.state, order.operation, order.forced_takeover) == ("RECEIVED", "ACTIVATE", False)
    assert order.subscription_id == "35738e19ab534dff9f9becb3a064a7d5"
    assert order.sp_reference == "a6cc5da980034948ba654ae6ceda03f4"
    assert order.requested_at == datetime(2019, 2, 5, tzinfo=UTC)
    assert order.expected_completion_at == datetime(2019, 2, 5, 0, 0, 1, tzinfo=UTC)
    assert order.message is None


def test_the_201_of_responses_md_names_its_order_by_path_only() -> None:
    result = parsed("place", fixture("responses.order.201.json"), 201)
    assert result.order_id == "ec4bc754-6a30-11e2-a585-4fc569183061"
    assert result.repeated is False


def test_a_repeated_order_is_the_existing_one_and_an_active_service_has_no_id() -> None:
    again = parsed("place", fixture("responses.order.200.active_order.json"), 200)
    assert (again.outcome, again.repeated) == ("ok", True)
    assert again.order_id == "ec4bc754-6a30-11e2-a585-4fc569183061"
    active = parsed("place", fixture("responses.order.200.already_active.json"), 200)
    assert (active.outcome, active.repeated, active.order_id) == ("ok", True, None)
    assert active.order.state == "DONE_SUCCESS"


def test_order_id_from_location_and_none_at_all() -> None:
    body = b'{"state": "RECEIVED"}'
    located = parsed("place", body, 201, {"location": "/onapi/2.6/orders/abc-1"})
    assert (located.outcome, located.order_id) == ("ok", "abc-1")
    lost = parsed("place", body, 201)
    assert (lost.outcome, lost.code) == ("transient", "no_order_id")


def test_done_failed_is_a_refusal_when_placing_and_a_state_when_reading() -> None:
    body = b'{"orderId": "o1", "state": "done_failed", "message": "No fibre in the wall"}'
    placed = parsed("place", body, 201)
    assert (placed.outcome, placed.code, placed.message) == (
        "refused", "done_failed", "No fibre in the wall"
    )  # fmt: skip
    read = parsed("get", body)
    assert (read.outcome, read.order.state) == ("ok", "DONE_FAILED")


def test_order_events_and_their_cursor() -> None:
    first = parsed("events", fixture("orderevents.all.json"))
    (event,) = first.events
    assert (event.event_id, first.cursor) == ("2a6d6432e59d11e39a523c970e806452",) * 2
    assert event.order.order_id == "ec4bc7546a3011e2a5854fc569183061"
    nxt = parse_order_events(200, fixture("orderevents.since.json"), {}, since=first.cursor)
    assert nxt.cursor == "6b4f026bccf247efb39f22ec4b01c1be"
    assert nxt.events[0].order.message == "The service type is no longer available for this access"
    assert parse_order_events(200, b"[]", {}, since="e9").cursor == "e9"


def test_an_echoed_since_is_dropped_and_unreadable_events_still_move_the_cursor() -> None:
    order = {"path": "/onapi/2.6/orders/o1", "state": "RECEIVED"}
    rows = [{"event": "e1", "order": order}, {"event": "e2", "order": {"state": 5}},
            {"order": order}, {"event": "e4", "order": order}, "junk", {"event": "e6"}]  # fmt: skip
    result = parse_order_events(200, json.dumps(rows).encode(), {}, since="e1")
    assert [e.event_id for e in result.events] == ["e4"]
    assert (result.cursor, result.skipped) == ("e6", 4)


def test_accesses_rows_and_last_modified() -> None:
    result = parsed("accesses", fixture("accesses.all.json"), headers=LAST_MODIFIED)
    (row,) = result.accesses
    assert (row.access_id, row.street_name, row.postal_code) == (
        "8732c2f065e2490babce820e94b1011a", "Testvägen", "10000"
    )  # fmt: skip
    assert (row.mdu_apartment_number, row.price_group, row.street_littera) == ("1001", 0, None)
    assert row.national_address_uuid == "1ce88c93-b310-11eb-bdc2-000c29f11131"
    assert (result.modified, result.last_modified) == (True, LAST_MODIFIED["last-modified"])


def test_accesses_not_modified_and_none_available() -> None:
    same = parse_accesses(304, b"", {}, if_modified_since="Mon, 04 Feb 2019 18:12:33 GMT")
    assert (same.outcome, same.modified, same.accesses) == ("ok", False, ())
    assert same.last_modified == "Mon, 04 Feb 2019 18:12:33 GMT"
    none = parse_accesses(404, b"", LAST_MODIFIED, if_modified_since=None)
    assert (none.outcome, none.accesses, none.last_modified) == (
        "ok",
        (),
        "Mon, 04 Feb 2019 18:22:33 GMT",
    )
    assert parse_accesses(404, b"<html>nginx</html>", {}, if_modified_since=None).transient


# --- tolerance: missing, extra and wrongly typed fields ---------------------------------


def test_missing_optional_fields_and_unknown_extra_fields() -> None:
    body = b'{"services": [{"service": "BB", "vendorExtension": {"x": 1}}], "extra": true}'
    (service,) = parsed("services", body).services
    assert (service.available_at, service.connection_at, service.comments) == (None, None, ())
    assert service.forced_takeover_possible is False
    rows = b'[{"accessId": "A1", "unknown": [1, 2]}, {"accessId": "A2", "city": null}]'
    assert [r.city for r in parsed("accesses", rows).accesses] == [None, None]


def test_wrong_types_read_as_unknown_or_skip_the_row() -> None:
    body = json.dumps({"services": [
        {"service": "BB", "forcedTakeoverPossible": "true", "availableDateTime": "soon",
         "comments": "not a list", "characteristics": ["SLA"]},
        {"service": 42}, "BB-2", {"service": "TV", "forcedTakeoverPossible": "yes",
                                  "disconnectionDateTime": 20240101}]})  # fmt: skip
    result = parsed("services", body.encode())
    bb, tv = result.services
    assert (bb.forced_takeover_possible, bb.available_at, bb.comments) == (True, None, ())
    assert (tv.forced_takeover_possible, tv.disconnection_at, result.skipped) == (False, None, 2)
    rows = b'[{"accessId": "A 1"}, {"accessId": 17, "priceGroup": "3", "mduApartmentNumber": 101}]'
    accesses = parsed("accesses", rows)
    assert [(r.access_id, r.price_group, r.mdu_apartment_number) for r in accesses.accesses] == [
        ("17", 3, "101")
    ]
    assert accesses.skipped == 1


@pytest.mark.parametrize(
    ("kind", "body", "code"),
    [
        ("services", b'{"services": "BB"}', "unexpected_reply"),
        ("services", b"[1, 2]", "unexpected_reply"),
        ("place", b'{"orderId": "o1", "state": 5}', "unexpected_reply"),
        ("place", b'{"orderId": "o1", "state": "PENDING"}', "unexpected_reply"),
        ("place", b"[]", "unexpected_reply"),
        ("events", b'{"event": "e1"}', "unexpected_reply"),
        ("accesses", b'{"accessId": "A1"}', "unexpected_reply"),
        ("services", b"<html><body>Welcome</body></html>", "malformed_reply"),
        ("services", b'{"services": [', "malformed_reply"),
        ("services", b'{"services": [{"service": "BB", "priceGroup": NaN}]}', "malformed_reply"),
        ("services", b"\xff\xfe{", "malformed_reply"),
        ("services", b"[" * 100_000 + b"]" * 100_000, "malformed_reply"),
    ],
)
def test_unusable_2xx_bodies_are_transient(kind: str, body: bytes, code: str) -> None:
    result = parsed(kind, body, 201 if kind == "place" else 200)
    assert (result.outcome, result.code) == ("transient", code)


@pytest.mark.parametrize(
    ("status", "body", "outcome", "code"),
    [
        (500, b"<html><h1>Internal Server Error</h1></html>", "transient", "http_500"),
        (503, b"", "transient", "http_503"),
        (502, b'{"cause": "upstream"}', "transient", "http_502"),
        (404, b"<html>Not Found</html>", "transient", "http_404"),
        (404, b'{"cause": "Unknown access"}', "refused", "404"),
        (404, b"{}", "refused", "404"),
        (401, b"<html>401 Authorization Required</html>", "refused", "401"),
        (403, b"", "refused", "403"),
        (408, b'{"cause": "slow"}', "transient", "http_408"),
        (429, b'{"cause": "Too many requests"}', "transient", "http_429"),
        (302, b"", "transient", "http_302"),
    ],
)
def test_error_statuses(status: int, body: bytes, outcome: str, code: str) -> None:
    verdict = judge(status, body, {"retry-after": "30"})
    assert (verdict.outcome, verdict.code) == (outcome, code)
    if status == 429:
        assert verdict.retry_after_s == 30 and "retry after 30 s" in (verdict.message or "")


def test_a_cause_is_cut_and_delete_204_is_ok() -> None:
    assert len(judge(409, json.dumps({"cause": "x" * 5000}).encode(), {}).message or "") == 1000
    assert parse_cancel(204, b"", {}).outcome == "ok"
    assert parse_cancel(409, b'{"cause": "Order is IN_PROGRESS"}', {}).outcome == "refused"
