"""Direct Activation replies -> typed results, without a network.

The parsers are pure functions (bytes + HTTP status); the client is exercised through a fake
transport mounted on its requests.Session; the registry through tiny Catalog/Secrets fakes.
"""

from __future__ import annotations

import base64
import io
import logging
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import urllib3
from requests.adapters import BaseAdapter, HTTPAdapter

from chalicelib.adapters.citynet import direct_activation
from chalicelib.adapters.citynet.direct_activation import (
    DirectActivationClient,
    parse_port_status,
    parse_service_deliverable,
    parse_service_order,
)
from chalicelib.adapters.citynet.registry import CityNetworkRegistry
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import CityNetwork

# The project's own example replies (tests/fixtures/direct_activation/README.md).
EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "direct_activation"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.xml"))

# file name -> (HTTP status the city network would send, outcome, code)
EXPECTED = {
    "port_status.empty.xml": (200, "ok", "200"),
    "port_status.ok.xml": (200, "ok", "200"),
    "service_deliverable.200.xml": (200, "ok", "200"),
    "service_deliverable.404.xml": (404, "refused", "404"),
    "service_deliverable.426.xml": (426, "refused", "426"),
    "service_deliverable.428.xml": (428, "refused", "428"),
    "service_deliverable.500.xml": (500, "refused", "500"),
    "service_order.200.xml": (200, "ok", "200"),
    "service_order.refused.409.xml": (409, "refused", "409"),
    "service_order.refused.500.xml": (500, "refused", "500"),
}


def parse(method: str, body: bytes, http_status: int = 200) -> Any:
    if method == "port_status":
        return parse_port_status(body, http_status, access_id="123-456-ABC")
    if method == "service_deliverable":
        return parse_service_deliverable(body, http_status)
    return parse_service_order(body, http_status, method=method)  # type: ignore[arg-type]


def order_reply(inner: bytes) -> bytes:
    return b"<service_order>" + inner + b"</service_order>"


# --- the example replies --------------------------------------------------------------


def test_the_examples_directory_is_found() -> None:
    assert EXAMPLE_FILES, f"no examples in {EXAMPLES}"
    # Every documented expectation has its file, and no file goes untested
    assert sorted(path.name for path in EXAMPLE_FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_reply_parses_to_its_documented_outcome(path: Path) -> None:
    # Given an example reply with its HTTP status
    assert path.name in EXPECTED, f"new example {path.name}: add its expectation"
    http_status, outcome, code = EXPECTED[path.name]
    # When it is parsed for the method its file is named after
    result = parse(path.name.split(".")[0], path.read_bytes(), http_status)
    # Then the outcome and code are the documented ones
    assert (result.outcome, result.code) == (outcome, code)
    assert result.method == path.name.split(".")[0]


def test_port_status_maps_info_and_services() -> None:
    result = parse("port_status", (EXAMPLES / "port_status.ok.xml").read_bytes())

    port = result.port
    assert port.access_id == "123-456-ABC"
    assert port.message == "Uttaget är aktivt och kan ta emot nya tjänster"
    assert (port.nettype, port.media) == ("LAYER2", "FTTH")
    assert (port.port_capacity_mbit, port.cpe_capacity_mbit) == (250, 1000)
    assert port.city_network_owns_cpe is True
    broadband, telephony = port.services
    assert broadband.service_uid == "BB250"
    assert broadband.date == date(2024, 9, 16)
    assert broadband.name == "Bredband 250/250"
    assert broadband.commitment == date(2025, 9, 16)
    assert broadband.release is None  # "0" means no release date
    assert broadband.message == "Beställd av föregående boende"
    # The optional name and message may be missing
    assert telephony.service_uid == "TEL-VOIP"
    assert (telephony.date, telephony.commitment) == (date(2025, 1, 7), date(2025, 7, 7))
    assert telephony.release == date(2026, 6, 30)
    assert (telephony.name, telephony.message) == (None, None)
    assert port.has_service("BB250") and port.has_service("TEL-VOIP")
    assert not port.has_service("TV-BAS")


def test_port_status_with_response_before_status_and_no_services() -> None:
    result = parse("port_status", (EXAMPLES / "port_status.empty.xml").read_bytes())

    assert result.outcome == "ok"
    assert result.port.services == ()
    assert result.port.city_network_owns_cpe is False
    assert result.port.message is None
    assert (result.port.port_capacity_mbit, result.port.cpe_capacity_mbit) == (1000, 250)


def test_deliverable_428_carries_the_hardware_to_replace() -> None:
    result = parse(
        "service_deliverable", (EXAMPLES / "service_deliverable.428.xml").read_bytes(), 428
    )
    assert result.extra == {"hardware": "CPE"}


def test_deliverable_500_refusal_carries_the_message_for_the_customer() -> None:
    result = parse(
        "service_deliverable", (EXAMPLES / "service_deliverable.500.xml").read_bytes(), 500
    )
    assert result.message == "Tjänsten kan endast beställas av hushåll med föreningens gruppavtal"
    assert result.extra == {}


def test_order_refusal_carries_the_city_networks_reason() -> None:
    result = parse("service_order", (EXAMPLES / "service_order.refused.409.xml").read_bytes(), 409)
    assert result.message == "Det finns redan en aktiv bredbandstjänst på uttaget"
    assert result.activation_date is None


# --- tolerance: real city networks vary ------------------------------------------------


def test_port_status_with_only_a_status_is_an_empty_port() -> None:
    result = parse("port_status", b"<port_status><status>success</status></port_status>")

    assert result.outcome == "ok"
    assert result.port.access_id == "123-456-ABC"
    assert result.port.nettype is None
    assert result.port.services == ()


def test_port_status_ignores_unknown_elements_and_whitespace_in_any_order() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
    <port_status>
      <vendor>Acme DA 3.2</vendor>
      <response>
        <services>
          <service>
            <release> 2027-01-31 </release>
            <unknown><nested>x</nested></unknown>
            <id>
              BB100100
            </id>
          </service>
          <service><name>no id: cannot be reconciled</name></service>
        </services>
        <info>
          <cocpe> no </cocpe>
          <portcapacity>
            250
          </portcapacity>
          <extra-field>ignored</extra-field>
        </info>
      </response>
      <status>
        success
      </status>
    </port_status>"""

    port = parse("port_status", body).port

    assert port.port_capacity_mbit == 250
    assert port.city_network_owns_cpe is False
    (service,) = port.services
    assert service.service_uid == "BB100100"
    assert service.release == date(2027, 1, 31)
    assert service.date is None


def test_port_status_tolerates_garbage_values() -> None:
    body = b"""<port_status><status>success</status><response><info>
      <portcapacity>fast</portcapacity><cpecapacity>-5</cpecapacity><cocpe>MAYBE</cocpe>
      </info><services><service><id>TV</id><date>soon</date><commitment>2026-13-45</commitment>
      <release>0</release></service></services></response></port_status>"""

    port = parse("port_status", body).port

    assert (port.port_capacity_mbit, port.cpe_capacity_mbit) == (None, None)
    assert port.city_network_owns_cpe is None
    assert port.services[0].date is None
    assert port.services[0].commitment is None


def test_namespaced_and_upper_case_elements_are_matched_by_local_name() -> None:
    body = (
        b'<da:service_order xmlns:da="urn:x-da"><da:STATUS>Success</da:STATUS></da:service_order>'
    )
    assert parse("service_order", body).outcome == "ok"


def test_port_status_unknown_access_is_refused_with_its_code() -> None:
    body = (
        b"<port_status><status>failed</status><response><code>404</code></response></port_status>"
    )

    result = parse("port_status", body, 404)

    assert (result.outcome, result.code, result.port) == ("refused", "404", None)


def test_http_status_stands_in_when_the_reply_has_no_code() -> None:
    body = b"<service_deliverable><status>failed</status></service_deliverable>"
    result = parse("service_deliverable", body, 426)
    assert (result.outcome, result.code) == ("refused", "426")


def test_the_xml_code_wins_over_the_http_status() -> None:
    body = (
        b"<service_deliverable><response><code>428</code><hardware>CPE</hardware></response>"
        b"<status>failed</status></service_deliverable>"
    )
    result = parse("service_deliverable", body, 200)
    assert (result.outcome, result.code, result.extra) == ("refused", "428", {"hardware": "CPE"})


def test_garbage_xml_code_falls_back_to_the_http_status() -> None:
    body = order_reply(b"<status>failed</status><response><code>N/A</code></response>")
    result = parse("service_order", body, 409)
    assert (result.outcome, result.code) == ("refused", "409")


def test_success_names_a_later_activation_date() -> None:
    body = order_reply(b"<status>success</status><response><date> 2030-05-17 </date></response>")
    result = parse("service_order", body)
    assert (result.outcome, result.activation_date) == ("ok", date(2030, 5, 17))


def test_success_with_an_unreadable_date_is_still_a_success() -> None:
    body = order_reply(b"<status>success</status><response><date>tomorrow</date></response>")
    result = parse("service_order", body)
    assert (result.outcome, result.activation_date) == ("ok", None)


def test_deactivation_success_is_parsed_like_an_order() -> None:
    body = b"<service_deactivate><status>success</status></service_deactivate>"
    result = parse("service_deactivate", body)
    assert (result.method, result.outcome) == ("service_deactivate", "ok")


def test_a_very_long_message_is_cut() -> None:
    body = (
        b"<service_order><status>failed</status><response><code>409</code><message>"
        + b"x" * 50_000
        + b"</message></response></service_order>"
    )
    result = parse("service_order", body, 409)
    assert result.outcome == "refused"
    assert len(result.message) == 1000


# --- refusal vs transient (docs/protocols/direct-activation.md, Our assumptions) -------


@pytest.mark.parametrize("code", ["500", "501", "599"])
def test_a_5xx_failure_without_a_message_is_transient(code: str) -> None:
    body = order_reply(f"<status>failed</status><response><code>{code}</code></response>".encode())
    result = parse("service_order", body, int(code))
    assert (result.outcome, result.code) == ("transient", code)
    assert result.transient


@pytest.mark.parametrize("http_status", [502, 503, 504])
def test_gateway_statuses_are_transient_even_with_a_refusal_body(http_status: int) -> None:
    body = (EXAMPLES / "service_order.refused.500.xml").read_bytes()
    result = parse("service_order", body, http_status)
    assert (result.outcome, result.code) == ("transient", f"http_{http_status}")


def test_a_failure_with_a_success_code_is_not_a_refusal() -> None:
    body = order_reply(b"<status>failed</status><response><code>200</code></response>")
    assert parse("service_order", body).outcome == "transient"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "malformed_reply"),
        (b"<service_order><status>success</status>", "malformed_reply"),
        (b"OK", "malformed_reply"),
        (b"\xff\xfe<broken", "malformed_reply"),
        (b"<port_status><status>success</status></port_status>", "unexpected_reply"),
        (b"<service_order><response/></service_order>", "unexpected_reply"),
        (b"<service_order><status>pending</status></service_order>", "unexpected_reply"),
    ],
    ids=["empty", "truncated", "text", "bad-bytes", "wrong-root", "no-status", "odd-status"],
)
def test_unusable_replies_are_transient(body: bytes, code: str) -> None:
    result = parse("service_order", body)
    assert (result.outcome, result.code) == ("transient", code)


def test_an_html_error_page_is_transient_with_the_http_status() -> None:
    result = parse("service_order", b"<html><body>Internal error</body>", 500)
    assert (result.outcome, result.code) == ("transient", "http_500")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<service_order><status>success</status><response><message>&lol9;</message></response></service_order>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<service_order><status>failed</status><response><code>409</code><message>&secret;</message></response></service_order>"""

DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE service_order SYSTEM "http://example.invalid/da.dtd">
<service_order><status>success</status></service_order>"""


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, EXTERNAL_ENTITY, DTD_ONLY], ids=["laughs", "external", "dtd"]
)
def test_documents_with_dtds_or_entities_are_rejected_as_transient(body: bytes) -> None:
    result = parse("service_order", body)
    assert (result.outcome, result.code) == ("transient", "forbidden_xml")


# --- the client through a fake transport -----------------------------------------------


class FakeTransport(BaseAdapter):
    """A requests adapter answering every request with one canned reply (or error)."""

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        error: Exception | None = None,
    ) -> None:
        super().__init__()
        self.body, self.status, self.headers, self.error = body, status, headers or {}, error
        self.requests: list[requests.PreparedRequest] = []
        self.timeouts: list[Any] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        self.timeouts.append(kwargs.get("timeout"))
        if self.error is not None:
            raise self.error
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(self.body),
            headers=self.headers,
            status=self.status,
            preload_content=False,
        )
        return HTTPAdapter().build_response(request, raw)

    def close(self) -> None:
        pass


# The limits every client is built with (the composition root passes the settings' ones).
LIMITS: dict[str, Any] = {"deadline_s": 5.0, "max_reply_bytes": 65536}


def client_with(transport: FakeTransport, **kwargs: Any) -> DirectActivationClient:
    session = requests.Session()
    session.mount("https://", transport)
    return DirectActivationClient(
        "demo-stadsnat",
        "https://da.example.invalid/api",
        "portal-user:s3cret:with-colon",
        session=session,
        **{"deadline_s": 2.0, "max_reply_bytes": 4096, **kwargs},
    )


def query_of(request: requests.PreparedRequest) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(request.url or "").query)


def test_port_status_sends_method_and_socket_with_basic_auth() -> None:
    transport = FakeTransport((EXAMPLES / "port_status.ok.xml").read_bytes())

    result = client_with(transport).port_status("123-456-ABC")

    assert result.outcome == "ok"
    assert result.port is not None and result.port.has_service("BB250")
    (request,) = transport.requests
    assert request.method == "GET"
    assert urlsplit(request.url or "").path == "/api"
    assert query_of(request) == [("method", "port_status"), ("socket", "123-456-ABC")]
    expected = base64.b64encode(b"portal-user:s3cret:with-colon").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    # The deadline bounds connect and read of every socket operation too
    assert transport.timeouts == [(2.0, 2.0)]


def test_service_deliverable_sends_origin_service_and_socket() -> None:
    transport = FakeTransport((EXAMPLES / "service_deliverable.428.xml").read_bytes(), 428)

    result = client_with(transport).service_deliverable("123-456-ABC", "BB100100")

    assert (result.outcome, result.code, result.extra) == ("refused", "428", {"hardware": "CPE"})
    assert query_of(transport.requests[0]) == [
        ("method", "service_deliverable"),
        ("origin", "customer"),
        ("service_uid", "BB100100"),
        ("socket", "123-456-ABC"),
    ]


def test_service_order_sends_date_origin_and_only_the_references_given() -> None:
    transport = FakeTransport((EXAMPLES / "service_order.200.xml").read_bytes())
    client = client_with(transport)

    client.service_order("A-1", "BB100100", date(2026, 1, 2), origin="provider", order_ref="ord_1")
    client.service_order("A-1", "BB100100", date(2026, 1, 2))

    first, second = (query_of(r) for r in transport.requests)
    assert first == [
        ("method", "service_order"),
        ("origin", "provider"),
        ("date", "2026-01-02"),
        ("service_uid", "BB100100"),
        ("socket", "A-1"),
        ("order", "ord_1"),
    ]
    assert ("order", "ord_1") not in second
    assert dict(second)["origin"] == "customer"


def test_service_deactivate_sends_date_service_and_socket() -> None:
    transport = FakeTransport(b"<service_deactivate><status>success</status></service_deactivate>")

    result = client_with(transport).service_deactivate("A-1", "TV-BAS", date(2026, 3, 1))

    assert result.outcome == "ok"
    assert query_of(transport.requests[0]) == [
        ("method", "service_deactivate"),
        ("date", "2026-03-01"),
        ("service_uid", "TV-BAS"),
        ("socket", "A-1"),
    ]


class SlowTransport(FakeTransport):
    """A FakeTransport that takes `delay_s` before it answers (or fails)."""

    def __init__(self, delay_s: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delay_s = delay_s

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        time.sleep(self.delay_s)
        return super().send(request, **kwargs)


SLOW_CALL_S = 0.2
TIMED_REPLIES: dict[str, Callable[[], dict[str, Any]]] = {
    "ok": lambda: {"body": (EXAMPLES / "port_status.ok.xml").read_bytes()},
    "unparseable": lambda: {"body": b"garbage"},
    "transport-error": lambda: {"error": requests.ConnectionError("conn refused")},
}


@pytest.mark.parametrize("kind", TIMED_REPLIES)
def test_every_result_carries_the_time_its_call_took(
    kind: str, log_records: list[logging.LogRecord]
) -> None:
    # Given the same reply from a city network that answers at once and one that takes 200 ms
    reply = TIMED_REPLIES[kind]()
    fast = client_with(FakeTransport(**reply)).port_status("A-1")
    slow = client_with(SlowTransport(SLOW_CALL_S, **reply)).port_status("A-1")

    # Then the slow call's duration is those 200 ms, in milliseconds, give or take a loaded
    # machine (well inside the 2 s deadline), and the fast one's is shorter
    delay_ms = SLOW_CALL_S * 1000
    assert delay_ms <= slow.duration_ms < delay_ms + 1500
    assert fast.duration_ms < slow.duration_ms
    # And the same number reaches the order's audit trail and the log line
    assert slow.as_call().duration_ms == slow.duration_ms
    assert log_records[-1].__dict__["duration_ms"] == slow.duration_ms


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            requests.ConnectionError("conn refused to https://da.example.invalid/api?socket=A-1"),
            "connection_error",
        ),
        (requests.ConnectTimeout("slow"), "timeout"),
        (requests.ReadTimeout("slow"), "timeout"),
        (requests.exceptions.SSLError("bad cert"), "tls_error"),
    ],
)
def test_transport_errors_are_transient_and_name_no_url(error: Exception, code: str) -> None:
    result = client_with(FakeTransport(error=error)).service_order("A-1", "S", date(2026, 1, 1))

    assert (result.outcome, result.code) == ("transient", code)
    assert "example.invalid" not in (result.message or "")
    assert "A-1" not in (result.message or "")


def test_a_redirect_is_transient_and_not_followed() -> None:
    transport = FakeTransport(b"", 302, {"Location": "https://elsewhere.invalid/"})

    result = client_with(transport).port_status("A-1")

    assert (result.outcome, result.code) == ("transient", "redirect")
    assert len(transport.requests) == 1


def test_an_oversize_content_length_is_refused_before_reading() -> None:
    transport = FakeTransport(b"x" * 10, headers={"Content-Length": "999999999"})
    result = client_with(transport).port_status("A-1")
    assert (result.outcome, result.code) == ("transient", "reply_too_large")


def test_an_oversize_body_without_content_length_is_cut_at_the_cap() -> None:
    body = b"<port_status>" + b" " * 10_000 + b"<status>success</status></port_status>"
    result = client_with(FakeTransport(body), max_reply_bytes=4096).port_status("A-1")
    assert (result.outcome, result.code) == ("transient", "reply_too_large")


def test_a_body_at_the_cap_is_accepted() -> None:
    body = b"<port_status><status>success</status></port_status>"
    result = client_with(FakeTransport(body), max_reply_bytes=len(body)).port_status("A-1")
    assert result.outcome == "ok"


def test_malformed_credentials_are_rejected_without_echoing_them() -> None:
    with pytest.raises(ValueError) as raised:
        DirectActivationClient("demo", "https://x.invalid", "no-colon-secret", **LIMITS)
    assert "no-colon-secret" not in str(raised.value)


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    handler = RecordingHandler()
    target = logging.getLogger(direct_activation.logger.name)
    previous_level = target.level
    target.addHandler(handler)
    target.setLevel(logging.INFO)
    yield handler.records
    target.removeHandler(handler)
    target.setLevel(previous_level)


def test_calls_are_logged_without_credentials_or_access_id(
    log_records: list[logging.LogRecord],
) -> None:
    client = client_with(
        FakeTransport((EXAMPLES / "service_order.refused.409.xml").read_bytes(), 409)
    )

    client.service_order("123-456-ABC", "BB100100", date(2026, 1, 2))

    (record,) = log_records
    assert record.__dict__["method"] == "service_order"
    assert record.__dict__["city_network_id"] == "demo-stadsnat"
    assert record.__dict__["outcome"] == "refused"
    assert record.__dict__["code"] == "409"
    assert isinstance(record.__dict__["duration_ms"], int)
    flat = repr(record.__dict__)
    for secret in ("s3cret", "portal-user", "123-456-ABC"):
        assert secret not in flat


def test_client_repr_shows_no_credentials() -> None:
    assert "s3cret" not in repr(client_with(FakeTransport()))


# --- the registry ----------------------------------------------------------------------


class FakeCatalog:
    def __init__(self, *city_networks: CityNetwork) -> None:
        self.city_networks = {c.id: c for c in city_networks}
        self.lookups: list[str] = []

    def get_city_network(self, city_network_id: str) -> CityNetwork:
        self.lookups.append(city_network_id)
        try:
            return self.city_networks[city_network_id]
        except KeyError:
            raise NotFound(f"city network {city_network_id!r}") from None


class FakeSecrets:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.lookups: list[str] = []

    def get(self, name: str) -> str:
        self.lookups.append(name)
        try:
            return self.values[name]
        except KeyError:
            raise NotFound(f"secret {name!r}") from None


def city_network(city_network_id: str) -> CityNetwork:
    return CityNetwork(
        id=city_network_id,
        name=city_network_id.title(),
        api_url=f"https://{city_network_id}.example.invalid/da",
        bounce_url=f"https://{city_network_id}.example.invalid/bounce",
        credentials_ref=f"{city_network_id}/api",
    )


def test_registry_builds_one_client_per_city_network_and_keeps_it_while_unchanged() -> None:
    catalog = FakeCatalog(city_network("north-net"), city_network("south-net"))
    secrets = FakeSecrets({"north-net/api": "u:p", "south-net/api": "v:q"})
    registry = CityNetworkRegistry(catalog, secrets, deadline_s=1.5, max_reply_bytes=2048)

    north = registry.for_city_network("north-net")
    again = registry.for_city_network("north-net")
    south = registry.for_city_network("south-net")

    assert north is again
    assert north is not south
    assert north._session is again._session
    assert (north.city_network_id, south.city_network_id) == ("north-net", "south-net")
    assert (north._deadline_s, north._max_reply_bytes) == (1.5, 2048)
    # Asked every time (both hold their own caches when deployed), so changes are seen
    assert catalog.lookups == ["north-net", "north-net", "south-net"]
    assert secrets.lookups == ["north-net/api", "north-net/api", "south-net/api"]


def test_registry_uses_rotated_credentials_without_waiting_for_a_cold_start() -> None:
    # Given a client in use
    secrets = FakeSecrets({"demo-net/api": "user:old-password"})
    registry = CityNetworkRegistry(FakeCatalog(city_network("demo-net")), secrets, **LIMITS)
    before = registry.for_city_network("demo-net")
    transport = FakeTransport(b"<port_status><status>success</status></port_status>")

    # When the credentials are rotated
    secrets.values["demo-net/api"] = "user:new-password"
    after = registry.for_city_network("demo-net")
    after._session.mount("https://", transport)
    after.port_status("A-1")

    # Then the next call authenticates with the new ones, and the old client is let go
    assert after is not before
    sent = transport.requests[0].headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"user:new-password").decode()
    assert registry.for_city_network("demo-net") is after


def test_registry_follows_a_city_network_whose_api_moved() -> None:
    catalog = FakeCatalog(city_network("demo-net"))
    registry = CityNetworkRegistry(catalog, FakeSecrets({"demo-net/api": "u:p"}), **LIMITS)
    registry.for_city_network("demo-net")

    catalog.city_networks["demo-net"] = city_network("demo-net").model_copy(
        update={"api_url": "https://new-home.example.invalid/da"}
    )
    client = registry.for_city_network("demo-net")
    transport = FakeTransport(b"<port_status><status>success</status></port_status>")
    client._session.mount("https://", transport)
    client.port_status("A-1")

    assert (transport.requests[0].url or "").startswith("https://new-home.example.invalid/da?")


def test_registry_is_lazy_and_sees_city_networks_added_later() -> None:
    catalog = FakeCatalog()
    secrets = FakeSecrets({"late-net/api": "u:p"})
    registry = CityNetworkRegistry(catalog, secrets, **LIMITS)
    assert catalog.lookups == []

    catalog.city_networks["late-net"] = city_network("late-net")
    client = registry.for_city_network("late-net")

    assert client.city_network_id == "late-net"


def test_the_composition_root_gives_the_registry_the_settings_limits() -> None:
    from chalicelib.composition import InMemoryAdapters
    from chalicelib.settings import Settings

    built = InMemoryAdapters(
        Settings(city_network_deadline_s=1.25, city_network_max_reply_bytes=999),
        catalog=FakeCatalog(city_network("demo-net")),
        secrets=FakeSecrets({"demo-net/api": "u:p"}),
    )
    client = built.city_networks.for_city_network("demo-net")

    assert client._deadline_s == 1.25
    assert client._max_reply_bytes == 999


def test_registry_caches_nothing_for_an_unknown_city_network() -> None:
    catalog = FakeCatalog()
    registry = CityNetworkRegistry(catalog, FakeSecrets({}), **LIMITS)

    with pytest.raises(NotFound):
        registry.for_city_network("nowhere")
    with pytest.raises(NotFound):
        registry.for_city_network("nowhere")

    assert catalog.lookups == ["nowhere", "nowhere"]


def test_registry_client_talks_to_the_city_networks_api_url() -> None:
    registry = CityNetworkRegistry(
        FakeCatalog(city_network("demo-net")), FakeSecrets({"demo-net/api": "u:p"}), **LIMITS
    )
    client = registry.for_city_network("demo-net")
    transport = FakeTransport(b"<port_status><status>success</status></port_status>")
    client._session.mount("https://", transport)

    assert client.port_status("A-1").outcome == "ok"
    assert (transport.requests[0].url or "").startswith("https://demo-net.example.invalid/da?")
