"""The ON-API 2.6 client against the ON-API emulator over real HTTP on 127.0.0.1 (port 0):
services, orders that go RECEIVED -> DONE_SUCCESS / DONE_FAILED as seen through
orderevents, repeated orders, cancelling, accesses with If-Modified-Since, Basic auth,
faults, and the portal hand-over."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from chalicelib.adapters.citynet import bounded_http
from chalicelib.adapters.citynet.on_api import OnApiClient, OrderResult
from chalicelib.adapters.secrets import StaticSecrets
from infra.local.emulator_onapi import DEMO_CONFIG_PATH, OnApiEmulator, parse_config, portal_hash
from tests.fakes import wait_until

OK, FAILS, TAKEN = "DEMO-ONAPI-OK", "DEMO-ONAPI-FAIL", "DEMO-ONAPI-TAKEN"
ORDER_ID = "ord_01JABCDEFGHJKMNPQRSTVWXYZ0"
RETURN_URL = "http://127.0.0.1:9999/onapi/portal/klar?x=1"


@pytest.fixture
def emulator() -> Iterator[OnApiEmulator]:
    data = json.loads(DEMO_CONFIG_PATH.read_text(encoding="utf-8"))
    data["order_delay_s"] = 0.3
    with OnApiEmulator(parse_config(data)) as running:
        yield running


def client_for(emulator: OnApiEmulator, password: str | None = None, **limits: Any) -> OnApiClient:
    user, real = emulator.auth
    secrets = StaticSecrets({"demo-onapi/api": f"{user}:{password or real}"})
    return OnApiClient(
        "demo-onapi", emulator.api_url, secrets, "demo-onapi/api",
        **{"deadline_s": 3.0, "max_reply_bytes": 1 << 20, **limits},
    )  # fmt: skip


@pytest.fixture
def client(emulator: OnApiEmulator) -> Iterator[OnApiClient]:
    built = client_for(emulator)
    yield built
    built.close()


def states_seen(client: OnApiClient, order_id: str, until: str) -> list[str]:
    """Pull orderevents from the start until `order_id` reaches `until`."""
    seen: list[str] = []
    cursor: str | None = None

    def reached() -> bool:
        nonlocal cursor
        page = client.order_events(cursor)
        assert page.outcome == "ok", page
        cursor = page.cursor
        seen.extend(e.order.state for e in page.events if e.order.order_id == order_id)
        return until in seen

    wait_until(reached, timeout_s=10, what=f"order {order_id} to be {until}")
    return seen


def done(client: OnApiClient, placed: OrderResult) -> OrderResult:
    assert placed.order_id is not None, placed
    order_id = placed.order_id
    wait_until(lambda: client.order(order_id).order.final, timeout_s=10, what="a final state")
    return client.order(order_id)


def test_services_and_deliverability(client: OnApiClient) -> None:
    services = client.services(OK)
    assert services.outcome == "ok"
    assert [s.service for s in services.services] == [
        "BB-100-100", "BB-250-250", "BB-1000-1000", "IPTV", "VOIP"
    ]  # fmt: skip
    assert client.service_deliverable(OK, "BB-100-100").outcome == "ok"
    taken = client.service_deliverable(TAKEN, "BB-100-100")
    assert (taken.outcome, taken.code) == ("refused", "forced_takeover_required")
    assert client.service_deliverable(TAKEN, "IPTV").outcome == "ok"
    unknown = client.services("NO-SUCH-ACCESS")
    assert (unknown.outcome, unknown.code) == ("refused", "404")
    assert "Unknown accessId" in (unknown.message or "")


def test_an_order_goes_received_then_done_success_seen_through_orderevents(
    client: OnApiClient, emulator: OnApiEmulator
) -> None:
    placed = client.activate(OK, "BB-1000-1000", order_id=ORDER_ID)

    assert (placed.outcome, placed.code, placed.repeated) == ("ok", "201", False)
    assert placed.order.state == "RECEIVED"
    assert placed.order.sp_reference == "01JABCDEFGHJKMNPQRSTVWXYZ0"
    assert states_seen(client, placed.order_id, "DONE_SUCCESS") == ["RECEIVED", "DONE_SUCCESS"]
    final = client.order(placed.order_id)
    assert final.order.subscription_id is not None
    (post,) = [c for c in emulator.calls() if c["method"] == "POST"]
    assert post["request"]["spReference"] == "01JABCDEFGHJKMNPQRSTVWXYZ0"
    assert "forcedTakeover" not in post["request"]

    # The service is now active: ordering it again is a 200 without an order id
    again = client.activate(OK, "BB-1000-1000", order_id=ORDER_ID)
    assert (again.outcome, again.repeated, again.order_id) == ("ok", True, None)
    assert again.order.state == "DONE_SUCCESS"
    # Another broadband service conflicts with it
    other = client.activate(OK, "BB-100-100", order_id=ORDER_ID)
    assert (other.outcome, other.code) == ("refused", "409")

    # And it can be deactivated through its subscription
    off = client.deactivate(final.order.subscription_id)
    assert (off.outcome, off.order.operation) == ("ok", "DEACTIVATE")
    assert done(client, off).order.state == "DONE_SUCCESS"
    assert client.deactivate(final.order.subscription_id).repeated is True


def test_an_order_ends_done_failed_the_first_time_with_a_reason(client: OnApiClient) -> None:
    first = client.activate(FAILS, "BB-100-100", order_id=ORDER_ID)
    assert (first.outcome, first.order.state) == ("ok", "RECEIVED")

    failed = done(client, first)
    assert (failed.outcome, failed.order.state) == ("ok", "DONE_FAILED")
    assert failed.order.message == "Kundens CPE måste bytas innan tjänsten kan aktiveras"
    assert states_seen(client, first.order_id, "DONE_FAILED") == ["RECEIVED", "DONE_FAILED"]

    second = client.activate(FAILS, "BB-100-100", order_id=ORDER_ID)
    assert second.order_id != first.order_id
    assert done(client, second).order.state == "DONE_SUCCESS"


def test_a_repeated_post_returns_the_same_order(
    client: OnApiClient, emulator: OnApiEmulator
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)  # stays RECEIVED
    first = client.activate(OK, "IPTV", order_id=ORDER_ID, requested_at=later)
    again = client.activate(OK, "IPTV", order_id=ORDER_ID, requested_at=later)

    assert (first.code, again.code) == ("201", "200")
    assert (again.outcome, again.repeated, again.order_id) == ("ok", True, first.order_id)
    assert [c["status"] for c in emulator.calls() if c["method"] == "POST"] == [201, 200]


def test_delete_while_received_cancels_the_order(client: OnApiClient) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    placed = client.activate(OK, "VOIP", order_id=ORDER_ID, requested_at=later)
    assert placed.order.requested_at == later.replace(microsecond=0)

    cancelled = client.cancel(placed.order_id)

    assert (cancelled.method, cancelled.outcome, cancelled.code) == ("order_cancel", "ok", "204")
    gone = client.order(placed.order_id)
    assert (gone.outcome, gone.code) == ("refused", "404")
    assert client.cancel(placed.order_id).code == "404"
    # A finished order cannot be cancelled
    finished = done(client, client.activate(OK, "VOIP", order_id=ORDER_ID))
    late = client.cancel(finished.order_id)
    assert (late.outcome, late.code) == ("refused", "409")


def test_forced_takeover_only_with_consent(client: OnApiClient) -> None:
    refused = client.activate(TAKEN, "BB-100-100", order_id=ORDER_ID)
    assert (refused.outcome, refused.code) == ("refused", "409")
    assert refused.message == "ServiceType is already claimed by other Service Provider."

    taken = client.activate(TAKEN, "BB-100-100", order_id=ORDER_ID, forced_takeover=True)
    assert (taken.outcome, taken.order.forced_takeover) == ("ok", True)
    assert done(client, taken).order.state == "DONE_SUCCESS"
    assert client.service_deliverable(TAKEN, "BB-250-250").outcome == "ok"  # no longer held


def test_accesses_with_if_modified_since(client: OnApiClient) -> None:
    everything = client.accesses()
    assert (everything.outcome, everything.modified, len(everything.accesses)) == ("ok", True, 36)
    assert everything.last_modified == "Sun, 01 Jun 2025 08:00:00 GMT"
    demo = next(a for a in everything.accesses if a.access_id == FAILS)
    assert (demo.mdu_apartment_number, demo.premises_type) == ("1101", "MDU_APARTMENT")

    unchanged = client.accesses(everything.last_modified)
    assert (unchanged.outcome, unchanged.code, unchanged.modified) == ("ok", "304", False)
    assert unchanged.last_modified == everything.last_modified

    changed = client.accesses(datetime(2025, 3, 1, tzinfo=UTC))
    assert [a.access_id for a in changed.accesses] == ["ONAPI-0031", "ONAPI-0032", "ONAPI-0033"]


def test_basic_auth_with_a_wrong_password_is_refused(emulator: OnApiEmulator) -> None:
    wrong = client_for(emulator, password="not-the-password")

    result = wrong.services(OK)

    assert (result.outcome, result.code) == ("refused", "401")
    assert [c["status"] for c in emulator.calls()] == [401]


def test_faults_are_transient(emulator: OnApiEmulator) -> None:
    client = client_for(emulator, deadline_s=0.5)
    page = {"status": 503, "body": "<html>Service Unavailable</html>"}
    emulator.state.add_faults({**page, "content_type": "text/html"})
    emulator.state.add_faults({"delay_s": 2.0})

    unavailable = client.services(OK)
    slow = client.services(OK)

    assert (unavailable.outcome, unavailable.code) == ("transient", "http_503")
    assert (slow.outcome, slow.code) == ("transient", "timeout")
    assert slow.duration_ms < 1500
    assert client.services(OK).outcome == "ok"


def test_a_dribbled_reply_is_cut_at_the_deadline(emulator: OnApiEmulator) -> None:
    client = client_for(emulator, deadline_s=0.5)
    emulator.state.add_faults({"dribble_interval_ms": 20})  # a reply of ~1 kB: 20 s

    started = time.monotonic()
    result = client.services(OK)

    assert (result.outcome, result.code) == ("transient", "timeout")
    assert time.monotonic() - started < 2.0
    assert client.services(OK).outcome == "ok"  # the cut connection is not reused


def test_dns_is_under_the_deadline_and_a_host_name_is_dialled(
    emulator: OnApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = urlsplit(emulator.api_url).port
    release = threading.Event()
    looked_up: list[str] = []

    def stalled(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["127.0.0.1"]

    def answers(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    user, password = emulator.auth
    secrets = StaticSecrets({"demo-onapi/api": f"{user}:{password}"})
    named = OnApiClient(
        "demo-onapi", f"http://onapi.test:{port}/onapi/2.6/", secrets, "demo-onapi/api",
        deadline_s=0.4, max_reply_bytes=1 << 20,
    )  # fmt: skip
    monkeypatch.setattr(bounded_http, "_resolve", stalled)
    try:
        started = time.monotonic()
        stuck = named.services(OK)
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert (stuck.outcome, stuck.code) == ("transient", "timeout")
    assert 0.3 < elapsed < 1.5

    monkeypatch.setattr(bounded_http, "_resolve", answers)
    assert named.services(OK).outcome == "ok"
    assert looked_up == ["onapi.test"]


def portal_visit(emulator: OnApiEmulator, source_ip: str) -> http.client.HTTPResponse:
    url = urlsplit(emulator.portal_url)
    connection = http.client.HTTPConnection(
        url.hostname or "", url.port, timeout=5, source_address=(source_ip, 0)
    )
    connection.request("GET", "/portal?" + urlencode({"return_url": RETURN_URL}))
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_portal_hands_the_visitor_over_with_a_verifiable_hash(
    emulator: OnApiEmulator,
) -> None:
    response = portal_visit(emulator, "127.0.1.3")

    assert response.status == 302
    location = urlsplit(response.headers["Location"])
    assert location._replace(query="").geturl() == RETURN_URL.split("?")[0]
    params = dict(parse_qsl(location.query))
    assert params["x"] == "1"  # the return URL's own query is kept
    assert (params["ko"], params["accessId"], params["mac"]) == (
        "demo-onapi", FAILS, "02:00:00:01:03:01"
    )  # fmt: skip
    assert datetime.fromisoformat(params["tid"]) > datetime.now(UTC) - timedelta(minutes=1)
    key = emulator.state.config.portal.key.encode()
    expected = portal_hash(key, params["ko"], params["accessId"], params["mac"], params["tid"])
    assert params["hash"] == expected and len(expected) == 64

    chooser = portal_visit(emulator, "127.0.0.1")
    assert chooser.status == 200  # not a demo visitor: a page to pick one
    assert [c["status"] for c in emulator.calls() if c["kind"] == "portal"] == [302, 200]


def test_the_emulator_answers_in_the_spec_shapes(
    client: OnApiClient, emulator: OnApiEmulator
) -> None:
    """Every field the emulator sends is one of the spec example's (tests/fixtures/on_api)."""
    import requests

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "on_api"

    def spec(name: str) -> Any:
        return json.loads((fixtures / name).read_text(encoding="utf-8"))

    def get(path: str) -> Any:
        reply = requests.get(emulator.api_url + path, auth=emulator.auth, timeout=5)
        assert reply.headers["Content-Type"] == "application/json"
        return reply.json()

    placed = client.activate(OK, "IPTV", order_id=ORDER_ID)
    done(client, placed)

    # orders.md lists `message` among the fields though its examples leave it out
    assert set(get(f"orders/{placed.order_id}")) <= set(spec("orders.get.json")) | {"message"}
    services = get(f"services/{OK}")
    assert set(services) == set(spec("services.single.json"))
    spec_row = spec("services.single.json")["services"][1]  # the one without the optionals
    assert all(set(row) == set(spec_row) for row in services["services"])
    assert set(get(f"accesses/{FAILS}")) <= set(spec("accesses.single.json"))
    event = get("orderevents/")[-1]
    (spec_event,) = spec("orderevents.all.json")
    assert (set(event), set(event["order"])) == (set(spec_event), set(spec_event["order"]))
