"""The ON-API client's calls through a fake transport mounted on its requests.Session (as
tests/unit/test_direct_activation_replies.py does for Direct Activation): what goes out
(method, path, JSON, headers, Basic auth read per call), and the guarantees around it
(deadline, size cap, no redirects, results instead of exceptions, quiet logs)."""

from __future__ import annotations

import base64
import io
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import urllib3
from requests.adapters import BaseAdapter, HTTPAdapter

from chalicelib.adapters.citynet.on_api import OnApiClient, requested_date_time, sp_reference
from chalicelib.adapters.secrets import StaticSecrets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "on_api"
ROOT = Path(__file__).resolve().parents[2]
BASE = "https://co.example.invalid/onapi/2.6"
ACCESS = "8732c2f065e2490babce820e94b1011a"
ORDER_ID = "ord_01JABCDEFGHJKMNPQRSTVWXYZ0"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FakeTransport(BaseAdapter):
    """Answers every request with one canned reply (or error) and records the requests."""

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        error: Exception | None = None,
        delay_s: float = 0.0,
    ) -> None:
        super().__init__()
        self.body, self.status, self.headers, self.error = body, status, headers or {}, error
        self.delay_s = delay_s
        self.requests: list[requests.PreparedRequest] = []
        self.timeouts: list[Any] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        self.timeouts.append(kwargs.get("timeout"))
        time.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(self.body), headers=self.headers, status=self.status,
            preload_content=False,
        )  # fmt: skip
        return HTTPAdapter().build_response(request, raw)

    def close(self) -> None:
        pass

    def sent_json(self, index: int = 0) -> Any:
        return json.loads(self.requests[index].body or b"")


def client_with(
    transport: FakeTransport, secrets: StaticSecrets | None = None, **limits: Any
) -> OnApiClient:
    session = requests.Session()
    session.mount("https://", transport)
    return OnApiClient(
        "demo-onapi",
        BASE + "/",
        secrets or StaticSecrets({"demo-onapi/api": "sp-user:s3cret:with-colon"}),
        "demo-onapi/api",
        session=session,
        **{"deadline_s": 2.0, "max_reply_bytes": 65536, **limits},
    )


def test_services_is_a_get_of_the_access_with_basic_auth_and_the_deadline() -> None:
    transport = FakeTransport(fixture("services.single.json"))

    result = client_with(transport).services(ACCESS)

    assert (result.outcome, len(result.services)) == ("ok", 5)
    (request,) = transport.requests
    assert (request.method, request.url) == ("GET", f"{BASE}/services/{ACCESS}")
    expected = base64.b64encode(b"sp-user:s3cret:with-colon").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["Accept"] == "application/json"
    assert transport.timeouts == [(2.0, 2.0)]


def test_service_deliverable_reads_the_services_of_the_access() -> None:
    client = client_with(FakeTransport(fixture("services.single.json")))
    assert client.service_deliverable(ACCESS, "BB-100-100").outcome == "ok"
    assert client.service_deliverable(ACCESS, "TV-XL").code == "not_offered"


def test_activate_posts_the_spec_fields_with_our_order_id_as_sp_reference() -> None:
    transport = FakeTransport(fixture("orders.activate.201.json"), 201)
    client = client_with(transport)

    result = client.activate(
        ACCESS, "BB-1000-100", order_id=ORDER_ID, requested_at=date(2026, 1, 2),
        characteristics={"SLA": "SLA-3"}, forced_takeover=True,
    )  # fmt: skip
    client.activate(ACCESS, "BB-1000-100", order_id=ORDER_ID)

    assert (result.outcome, result.order_id) == ("ok", "f3f26446f6e8407aae876ea8e52d7417")
    request = transport.requests[0]
    assert (request.method, request.url) == ("POST", f"{BASE}/orders/")
    assert request.headers["Content-Type"] == "application/json"
    assert transport.sent_json(0) == {
        "accessId": ACCESS,
        "service": "BB-1000-100",
        "operation": "ACTIVATE",
        "spReference": "01JABCDEFGHJKMNPQRSTVWXYZ0",
        "requestedDateTime": "2026-01-01T23:00:00Z",  # midnight in Sweden
        "characteristics": {"SLA": "SLA-3"},
        "forcedTakeover": True,
    }
    # Without consent there is no forcedTakeover at all, nor a date or characteristics
    assert set(transport.sent_json(1)) == {"accessId", "service", "operation", "spReference"}
    # Every field sent is one of the spec's request example
    assert set(transport.sent_json(0)) <= set(json.loads(fixture("orders.activate.request.json")))


def test_deactivate_posts_the_subscription_like_the_spec_example() -> None:
    transport = FakeTransport(fixture("orders.deactivate.201.json"), 201)

    result = client_with(transport).deactivate(
        "35738e19ab534dff9f9becb3a064a7d5", requested_at=datetime(2019, 2, 5, tzinfo=UTC)
    )

    assert (result.method, result.outcome, result.order.state) == (
        "order_deactivate", "ok", "RECEIVED"
    )  # fmt: skip
    assert transport.sent_json() == json.loads(fixture("orders.deactivate.request.json"))


def test_get_and_delete_of_one_order() -> None:
    transport = FakeTransport(fixture("orders.get.json"))
    client = client_with(transport)
    assert client.order("f3f26446f6e8407aae876ea8e52d7417").order.state == "RECEIVED"
    transport.body, transport.status = b"", 204
    assert client.cancel("f3f26446f6e8407aae876ea8e52d7417").outcome == "ok"
    assert [(r.method, r.url) for r in transport.requests] == [
        ("GET", f"{BASE}/orders/f3f26446f6e8407aae876ea8e52d7417"),
        ("DELETE", f"{BASE}/orders/f3f26446f6e8407aae876ea8e52d7417"),
    ]


def test_order_events_send_the_cursor_as_since() -> None:
    transport = FakeTransport(fixture("orderevents.since.json"))
    client = client_with(transport)
    first = client.order_events()
    again = client.order_events(first.cursor)
    assert urlsplit(transport.requests[0].url or "").query == ""
    assert parse_qsl(urlsplit(transport.requests[1].url or "").query) == [
        ("since", "6b4f026bccf247efb39f22ec4b01c1be")
    ]
    assert (again.events, again.cursor) == ((), first.cursor)  # the echoed event is dropped


def test_accesses_send_if_modified_since_and_read_304() -> None:
    transport = FakeTransport(b"", 304)
    client = client_with(transport)
    stamp = "Mon, 04 Feb 2019 18:22:33 GMT"
    by_text = client.accesses(stamp)
    client.accesses(datetime(2019, 2, 4, 18, 22, 33, tzinfo=UTC))
    client.accesses()
    assert (by_text.outcome, by_text.modified, by_text.last_modified) == ("ok", False, stamp)
    sent = [r.headers.get("If-Modified-Since") for r in transport.requests]
    assert sent == [stamp, stamp, None]
    assert transport.requests[0].url == f"{BASE}/accesses/"


@pytest.mark.parametrize("bad", ["..", ".", "a/b", "a_b", "x" * 37, "", "é"])
def test_ids_outside_the_id_format_are_refused_without_a_call(bad: str) -> None:
    transport = FakeTransport(fixture("orders.get.json"))
    client = client_with(transport)
    results = [client.services(bad), client.order(bad), client.cancel(bad)]
    results += [client.activate(bad, "BB", order_id=ORDER_ID), client.deactivate(bad)]
    if bad:
        results.append(client.order_events(bad))
    assert {(r.outcome, r.code) for r in results} == {("refused", "invalid_id")}
    assert transport.requests == []


def test_our_order_id_and_dates_in_the_spec_formats() -> None:
    assert sp_reference(ORDER_ID) == "01JABCDEFGHJKMNPQRSTVWXYZ0"
    with pytest.raises(ValueError):
        sp_reference("ord_with_underscores")
    assert requested_date_time(date(2026, 7, 1)) == "2026-06-30T22:00:00Z"
    with pytest.raises(ValueError):
        requested_date_time(datetime(2026, 7, 1, 12))  # naive


def test_credentials_are_read_on_every_call_so_a_rotation_is_used_at_once() -> None:
    secrets = StaticSecrets({"demo-onapi/api": "sp-user:old"})
    transport = FakeTransport(fixture("orders.get.json"))
    client = client_with(transport, secrets)
    client.order("o1")
    secrets._values["demo-onapi/api"] = "sp-user:new"
    client.order("o1")
    sent = [r.headers["Authorization"] for r in transport.requests]
    assert sent == ["Basic " + base64.b64encode(f"sp-user:{p}".encode()).decode()
                    for p in ("old", "new")]  # fmt: skip


@pytest.mark.parametrize("value", [None, "no-colon-secret", ":password-only"])
def test_missing_or_malformed_credentials_are_transient_without_a_call(value: str | None) -> None:
    transport = FakeTransport(fixture("orders.get.json"))
    secrets = StaticSecrets({} if value is None else {"demo-onapi/api": value})
    result = client_with(transport, secrets).order("o1")
    assert (result.outcome, result.code) == ("transient", "credentials_unavailable")
    assert transport.requests == []
    assert "demo-onapi/api" in (result.message or "")  # the secret's name, never its value
    assert "no-colon-secret" not in (result.message or "")
    assert "password-only" not in (result.message or "")


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ({"error": requests.ReadTimeout("slow")}, "timeout"),
        ({"error": requests.ConnectTimeout("slow")}, "timeout"),
        ({"error": requests.ConnectionError(f"no: {BASE}/services/{ACCESS}")}, "connection_error"),
        ({"error": requests.exceptions.SSLError("bad cert")}, "tls_error"),
        ({"status": 302, "headers": {"Location": "https://elsewhere.invalid/"}}, "redirect"),
        ({"body": b"x" * 10, "headers": {"Content-Length": "999999999"}}, "reply_too_large"),
        ({"body": b"[" + b" " * 5000 + b"]"}, "reply_too_large"),
        ({"body": b"[]", "delay_s": 0.3}, "timeout"),
        ({"body": b"<html>Bad gateway</html>", "status": 502}, "http_502"),
    ],
    ids=["read-timeout", "connect-timeout", "refused", "tls", "redirect", "declared-size",
         "streamed-size", "deadline", "html-502"],
)  # fmt: skip
def test_transport_faults_are_transient_and_name_no_url(reply: dict[str, Any], code: str) -> None:
    transport = FakeTransport(**reply)
    result = client_with(transport, deadline_s=0.2, max_reply_bytes=4096).services(ACCESS)
    assert (result.outcome, result.code) == ("transient", code)
    assert "example.invalid" not in (result.message or "") and ACCESS not in (result.message or "")
    assert len(transport.requests) == 1  # never retried or redirected here


def test_a_body_at_the_cap_is_read_and_durations_are_measured() -> None:
    body = fixture("orderevents.all.json")
    result = client_with(FakeTransport(body, delay_s=0.1), max_reply_bytes=len(body)).order_events()
    assert result.outcome == "ok"
    assert 100 <= result.duration_ms < 1600


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    target = logging.getLogger("chalicelib.adapters.citynet.on_api.client")
    previous = target.level
    target.addHandler(handler)
    target.setLevel(logging.INFO)
    yield records
    target.removeHandler(handler)
    target.setLevel(previous)


def test_calls_are_logged_without_credentials_ids_or_texts(
    log_records: list[logging.LogRecord],
) -> None:
    client = client_with(FakeTransport(fixture("responses.order.409.claimed.json"), 409))
    client.activate(ACCESS, "BB-100-10", order_id=ORDER_ID)
    client_with(FakeTransport(b"", 503)).order("f3f26446f6e8407aae876ea8e52d7417")

    refused, transient = log_records
    assert (refused.levelno, transient.levelno) == (logging.INFO, logging.WARNING)
    fields = {k: refused.__dict__[k] for k in ("city_network_id", "method", "outcome", "code")}
    assert fields == {"city_network_id": "demo-onapi", "method": "order_activate",
                      "outcome": "refused", "code": "409"}  # fmt: skip
    assert isinstance(refused.__dict__["duration_ms"], int)
    flat = repr(refused.__dict__) + repr(transient.__dict__)
    for secret in ("s3cret", "sp-user", ACCESS, "01JABCDEFGH", "f3f26446", "claimed"):
        assert secret not in flat
    assert "s3cret" not in repr(client)


def test_importing_the_client_does_not_import_requests() -> None:
    code = "import sys, chalicelib.adapters.citynet.on_api; print('requests' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
