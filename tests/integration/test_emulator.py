"""The city-network emulator over real HTTP: the Direct Activation replies of every demo
outlet, the configurable behaviours and faults, the call record, and the bounce server."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as DET
import pytest
import requests

from chalicelib.domain.clock import SystemClock, today_in_sweden
from chalicelib.domain.identification import signature_matches
from infra.local.emulator import ConfigError, load_config
from infra.local.emulator.config import DEMO_CONFIG_PATH, with_env_overrides
from tests.integration.emulator_fixtures import (
    EmulatorHandle,
    demo_config,
    start_emulator,
)

REPO = Path(__file__).resolve().parents[2]
# The project's own example replies (tests/fixtures/direct_activation/README.md).
EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "direct_activation"
DEMO_SERVICES = ("BB100100", "BB1000", "TEL-VOIP", "TV-BAS")
TODAY = dt.date.today().isoformat()
RETURN_URL = "http://127.0.0.1:9999/identifiera/klar"


def parse(response: requests.Response) -> ET.Element:
    root: ET.Element = DET.fromstring(response.content)
    return root


def text(root: ET.Element, path: str) -> str | None:
    element = root.find(path)
    return None if element is None else element.text


def order(emulator: EmulatorHandle, socket: str, service_uid: str) -> requests.Response:
    return emulator.call(
        "service_order", origin="customer", date=TODAY, service_uid=service_uid, socket=socket
    )


def services_on(emulator: EmulatorHandle, socket: str) -> list[str | None]:
    root = parse(emulator.call("port_status", socket=socket))
    return [text(service, "id") for service in root.iterfind("response/services/service")]


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    with start_emulator() as handle:
        yield handle


@pytest.fixture
def configured() -> Iterator[Any]:
    """Starts emulators from adjusted demo configurations; stops them afterwards."""
    started: list[EmulatorHandle] = []

    def start(config: dict[str, Any]) -> EmulatorHandle:
        handle = start_emulator(config)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


def with_fault(socket: str | None, method: str, **fault: Any) -> dict[str, Any]:
    config = demo_config()
    faults = {method: fault}
    if socket is None:
        config["faults"] = faults
    else:
        config["outlets"][socket]["faults"] = faults
    return config


# --- demo configuration ----------------------------------------------------------------------


def test_demo_file_loads_with_the_four_visitors_of_the_design_table() -> None:
    config = load_config(DEMO_CONFIG_PATH)
    assert config.visitors == {
        "127.0.0.2": "DEMO-OK-1",
        "127.0.0.3": "DEMO-REFUSE-1",
        "127.0.0.4": "DEMO-NONE-1",
        "127.0.0.5": None,
    }
    assert (config.api.user, config.api.password) == ("demo", "demo-password")
    assert config.bounce.secret == "demo-bounce-secret"


def test_environment_overrides_credentials_and_bounce_secret() -> None:
    config = with_env_overrides(
        load_config(DEMO_CONFIG_PATH),
        {"EMULATOR_API_USER": "u", "EMULATOR_API_PASSWORD": "p", "EMULATOR_BOUNCE_SECRET": "s"},
    )
    assert (config.api.user, config.api.password, config.bounce.secret) == ("u", "p", "s")


def test_bad_config_file_names_the_field_and_not_the_secret(tmp_path: Path) -> None:
    data = demo_config()
    data["bounce"]["secret"] = ["hemligt-värde"]
    data["outlets"]["DEMO-OK-1"]["service_order"] = {"mode": "sometimes"}
    path = tmp_path / "outlets.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "bounce.secret" in message
    assert "outlets.DEMO-OK-1.service_order" in message
    assert "hemligt" not in message


def test_config_file_that_is_not_json_is_reported_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "outlets.json"
    path.write_text('{"api": ')
    with pytest.raises(ConfigError, match=r"not JSON.*line 1"):
        load_config(path)


# --- port_status ---------------------------------------------------------------------------


@pytest.mark.parametrize("socket", ["DEMO-OK-1", "DEMO-REFUSE-1", "DEMO-NONE-1"])
def test_port_status_of_a_demo_outlet_succeeds_with_port_info(
    emulator: EmulatorHandle, socket: str
) -> None:
    response = emulator.call("port_status", socket=socket)
    root = parse(response)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    assert root.tag == "port_status"
    assert text(root, "status") == "success"
    assert text(root, "response/info/nettype") == "LAYER2"
    assert root.find("response/services") is not None
    assert services_on(emulator, socket) == []


def test_port_status_carries_the_port_message(emulator: EmulatorHandle) -> None:
    root = parse(emulator.call("port_status", socket="DEMO-OK-1"))
    assert text(root, "response/info/message") == "Uttaget är öppet"


def test_port_status_of_an_unknown_socket_fails_with_404(emulator: EmulatorHandle) -> None:
    response = emulator.call("port_status", socket="NO-SUCH-1")
    root = parse(response)
    assert response.status_code == 404
    assert (text(root, "status"), text(root, "response/code")) == ("failed", "404")


def test_port_status_lists_configured_services_with_their_details(configured: Any) -> None:
    config = demo_config()
    config["outlets"]["DEMO-OK-1"]["services_on_port"] = [
        {"service_uid": "TV-BAS", "name": "Digital-TV bas", "date": "2025-03-01"}
    ]
    root = parse(configured(config).call("port_status", socket="DEMO-OK-1"))
    service = root.find("response/services/service")
    assert service is not None
    assert (text(service, "id"), text(service, "name"), text(service, "date")) == (
        "TV-BAS",
        "Digital-TV bas",
        "2025-03-01",
    )


# --- service_deliverable -------------------------------------------------------------------


@pytest.mark.parametrize("socket", ["DEMO-OK-1", "DEMO-REFUSE-1"])
@pytest.mark.parametrize("service_uid", DEMO_SERVICES)
def test_every_demo_service_is_deliverable_on_the_ok_and_refuse_outlets(
    emulator: EmulatorHandle, socket: str, service_uid: str
) -> None:
    response = emulator.call(
        "service_deliverable", origin="customer", service_uid=service_uid, socket=socket
    )
    root = parse(response)
    assert response.status_code == 200
    assert (text(root, "status"), text(root, "response/code")) == ("success", "200")


@pytest.mark.parametrize(
    ("service_uid", "code", "hardware", "has_message"),
    [
        ("BB100100", 426, None, False),
        ("BB1000", 426, None, False),
        ("TEL-VOIP", 428, "CPE", False),
        ("TV-BAS", 500, None, True),
        ("SOMETHING-ELSE", 500, None, True),
    ],
)
def test_nothing_is_deliverable_on_the_none_outlet(
    emulator: EmulatorHandle, service_uid: str, code: int, hardware: str | None, has_message: bool
) -> None:
    response = emulator.call(
        "service_deliverable", origin="customer", service_uid=service_uid, socket="DEMO-NONE-1"
    )
    root = parse(response)
    assert response.status_code == code
    assert (text(root, "status"), text(root, "response/code")) == ("failed", str(code))
    assert text(root, "response/hardware") == hardware
    assert bool(text(root, "response/message")) is has_message


def test_service_deliverable_for_an_unknown_socket_is_404(emulator: EmulatorHandle) -> None:
    response = emulator.call(
        "service_deliverable", origin="customer", service_uid="BB1000", socket="NO-SUCH-1"
    )
    assert response.status_code == 404
    assert text(parse(response), "response/code") == "404"


def canonical(xml: bytes) -> str:
    return ET.canonicalize(xml.decode().split("?>", 1)[-1], strip_text=True)


@pytest.mark.parametrize(
    ("example", "service_uid", "socket"),
    [
        ("service_deliverable.200.xml", "BB1000", "DEMO-OK-1"),
        ("service_deliverable.404.xml", "BB1000", "NO-SUCH-1"),
        ("service_deliverable.426.xml", "BB1000", "DEMO-NONE-1"),
        ("service_deliverable.428.xml", "TEL-VOIP", "DEMO-NONE-1"),
        ("service_deliverable.500.xml", "GRUPPAVTAL", "DEMO-NONE-1"),
    ],
)
def test_deliverable_replies_match_the_protocol_examples(
    configured: Any, example: str, service_uid: str, socket: str
) -> None:
    config = demo_config()
    config["outlets"]["DEMO-NONE-1"]["deliverability"]["GRUPPAVTAL"] = {
        "code": 500,
        "message": "Tjänsten kan endast beställas av hushåll med föreningens gruppavtal",
    }
    response = configured(config).call(
        "service_deliverable", origin="customer", service_uid=service_uid, socket=socket
    )
    assert canonical(response.content) == canonical((EXAMPLES / example).read_bytes())
    assert response.status_code == int(example.split(".")[1])


# --- service_order and service_deactivate --------------------------------------------------


@pytest.mark.parametrize("service_uid", DEMO_SERVICES)
def test_service_order_on_the_ok_outlet_succeeds_like_the_example(
    emulator: EmulatorHandle, service_uid: str
) -> None:
    response = order(emulator, "DEMO-OK-1", service_uid)
    assert response.status_code == 200
    assert canonical(response.content) == canonical(
        (EXAMPLES / "service_order.200.xml").read_bytes()
    )


def test_successful_order_appears_in_port_status(emulator: EmulatorHandle) -> None:
    # Given an empty port
    assert services_on(emulator, "DEMO-OK-1") == []
    # When a service is ordered
    order(emulator, "DEMO-OK-1", "BB1000")
    # Then port_status lists it, with the activation date
    root = parse(emulator.call("port_status", socket="DEMO-OK-1"))
    assert services_on(emulator, "DEMO-OK-1") == ["BB1000"]
    assert text(root, "response/services/service/date") == TODAY


def test_refuse_outlet_refuses_the_first_order_of_each_service_then_succeeds(
    emulator: EmulatorHandle,
) -> None:
    first = order(emulator, "DEMO-REFUSE-1", "BB100100")
    root = parse(first)
    assert first.status_code == 500
    assert text(root, "status") == "failed"
    assert text(root, "response/code") == "500"
    assert "CPE måste konfigureras" in (text(root, "response/message") or "")
    assert services_on(emulator, "DEMO-REFUSE-1") == []
    # Another service has its own first refusal
    assert order(emulator, "DEMO-REFUSE-1", "TV-BAS").status_code == 500

    second = order(emulator, "DEMO-REFUSE-1", "BB100100")
    assert second.status_code == 200
    assert text(parse(second), "status") == "success"
    assert services_on(emulator, "DEMO-REFUSE-1") == ["BB100100"]


def test_order_of_an_undeliverable_service_is_refused_with_the_same_reason(
    emulator: EmulatorHandle,
) -> None:
    response = order(emulator, "DEMO-NONE-1", "TEL-VOIP")
    root = parse(response)
    assert response.status_code == 428
    assert (text(root, "status"), text(root, "response/hardware")) == ("failed", "CPE")
    assert root.tag == "service_order"


def test_order_on_an_unknown_socket_is_404(emulator: EmulatorHandle) -> None:
    response = order(emulator, "NO-SUCH-1", "BB1000")
    assert response.status_code == 404
    assert text(parse(response), "response/code") == "404"


def test_succeed_with_date_names_today_plus_the_configured_days(configured: Any) -> None:
    config = demo_config()
    config["outlets"]["DEMO-OK-1"]["service_order"] = {"mode": "succeed_with_date", "days": 7}
    handle = configured(config)
    response = order(handle, "DEMO-OK-1", "BB1000")
    root = parse(response)
    expected = (today_in_sweden(SystemClock()) + dt.timedelta(days=7)).isoformat()
    assert response.status_code == 200
    assert (text(root, "status"), text(root, "response/date")) == ("success", expected)
    port = parse(handle.call("port_status", socket="DEMO-OK-1"))
    assert text(port, "response/services/service/date") == expected


def test_always_refuse_refuses_every_order_like_the_example(configured: Any) -> None:
    config = demo_config()
    config["outlets"]["DEMO-OK-1"]["service_order"] = {
        "mode": "always_refuse",
        "code": 409,
        "message": "Det finns redan en aktiv bredbandstjänst på uttaget",
    }
    handle = configured(config)
    example = canonical((EXAMPLES / "service_order.refused.409.xml").read_bytes())
    for _ in range(3):
        response = order(handle, "DEMO-OK-1", "BB1000")
        assert response.status_code == 409
        assert canonical(response.content) == example


def test_per_service_order_behaviour_overrides_the_outlet_default(configured: Any) -> None:
    config = demo_config()
    config["outlets"]["DEMO-OK-1"]["service_order_by_service"] = {
        "TV-BAS": {"mode": "always_refuse", "code": 500, "message": "Nej"}
    }
    handle = configured(config)
    assert order(handle, "DEMO-OK-1", "TV-BAS").status_code == 500
    assert order(handle, "DEMO-OK-1", "BB1000").status_code == 200


def test_service_deactivate_removes_the_service_from_the_port(emulator: EmulatorHandle) -> None:
    order(emulator, "DEMO-OK-1", "BB1000")
    order(emulator, "DEMO-OK-1", "TV-BAS")
    response = emulator.call(
        "service_deactivate", date=TODAY, service_uid="BB1000", socket="DEMO-OK-1"
    )
    assert response.status_code == 200
    assert text(parse(response), "status") == "success"
    assert services_on(emulator, "DEMO-OK-1") == ["TV-BAS"]


def test_service_deactivate_on_an_unknown_socket_is_404(emulator: EmulatorHandle) -> None:
    response = emulator.call("service_deactivate", date=TODAY, service_uid="X", socket="NO-1")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"method": "port_status"},
        {"method": "service_order", "socket": "DEMO-OK-1", "service_uid": "BB1000"},
        {"method": "service_order", "socket": "DEMO-OK-1", "service_uid": "BB1000", "date": "x"},
        {"method": "no_such_method", "socket": "DEMO-OK-1"},
        {},
    ],
)
def test_incomplete_or_unknown_calls_are_400(
    emulator: EmulatorHandle, params: dict[str, str]
) -> None:
    response = requests.get(emulator.api_url, params=params, auth=emulator.auth, timeout=5)
    assert response.status_code == 400
    assert text(parse(response), "status") == "failed"


# --- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth", [None, ("demo", "wrong-password"), ("someone", "demo-password"), ("demo", "")]
)
def test_calls_without_the_right_basic_credentials_are_401(
    emulator: EmulatorHandle, auth: tuple[str, str] | None
) -> None:
    response = requests.get(
        emulator.api_url,
        params={"method": "port_status", "socket": "DEMO-OK-1"},
        auth=auth,
        timeout=5,
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert text(parse(response), "response/code") == "401"
    assert emulator.calls()[-1]["status"] == 401


# --- faults --------------------------------------------------------------------------------


def test_latency_delays_the_reply(configured: Any) -> None:
    handle = configured(with_fault("DEMO-OK-1", "port_status", latency_ms=300))
    started = time.monotonic()
    response = handle.call("port_status", socket="DEMO-OK-1")
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    # Other outlets are not affected
    started = time.monotonic()
    handle.call("port_status", socket="DEMO-REFUSE-1")
    assert time.monotonic() - started < 0.3


def test_503_once_then_ok_with_fail_first(configured: Any) -> None:
    handle = configured(with_fault("DEMO-OK-1", "service_order", http_503=True, fail_first=1))
    first = order(handle, "DEMO-OK-1", "BB1000")
    assert first.status_code == 503
    # The 503 was not processed: the port is unchanged
    assert services_on(handle, "DEMO-OK-1") == []
    second = order(handle, "DEMO-OK-1", "BB1000")
    assert second.status_code == 200
    assert [c["fault"] for c in handle.calls(method="service_order")] == ["http_503", None]


def test_fail_first_counts_calls_of_every_service_on_the_rule(configured: Any) -> None:
    handle = configured(with_fault(None, "all", http_503=True, fail_first=2))
    statuses = [handle.call("port_status", socket="DEMO-OK-1").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_outlet_fault_overrides_the_global_one(configured: Any) -> None:
    config = with_fault(None, "all", http_503=True)
    config["outlets"]["DEMO-OK-1"]["faults"] = {"all": {}}
    handle = configured(config)
    assert handle.call("port_status", socket="DEMO-OK-1").status_code == 200
    assert handle.call("port_status", socket="DEMO-REFUSE-1").status_code == 503


def test_method_fault_only_affects_that_method(configured: Any) -> None:
    handle = configured(with_fault("DEMO-OK-1", "service_order", http_503=True))
    assert handle.call("port_status", socket="DEMO-OK-1").status_code == 200
    assert order(handle, "DEMO-OK-1", "BB1000").status_code == 503


def test_malformed_xml_cannot_be_parsed(configured: Any) -> None:
    handle = configured(with_fault("DEMO-OK-1", "port_status", malformed_xml=True))
    response = handle.call("port_status", socket="DEMO-OK-1")
    assert response.status_code == 200
    with pytest.raises(ET.ParseError):
        DET.fromstring(response.content)


def test_dribble_sends_the_reply_byte_by_byte(configured: Any) -> None:
    handle = configured(with_fault("DEMO-OK-1", "port_status", dribble=True, dribble_interval_ms=2))
    started = time.monotonic()
    response = handle.call("port_status", socket="DEMO-OK-1", timeout=10)
    elapsed = time.monotonic() - started
    # Intact, but every byte (status line and headers included) took its interval
    assert text(parse(response), "status") == "success"
    assert elapsed >= len(response.content) * 0.002


def test_dribble_trips_a_short_client_timeout(configured: Any) -> None:
    handle = configured(with_fault("DEMO-OK-1", "port_status", dribble=True))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        handle.call("port_status", socket="DEMO-OK-1", timeout=0.3)
    assert time.monotonic() - started < 2


def test_hang_outlasts_the_client_deadline_and_stops_with_the_server() -> None:
    handle = start_emulator(with_fault("DEMO-OK-1", "service_order", hang=True))
    try:
        with pytest.raises(requests.exceptions.ReadTimeout):
            handle.call(
                "service_order", date=TODAY, service_uid="BB1000", socket="DEMO-OK-1", timeout=0.3
            )
        # The order went through even though the reply never came: what reconciliation
        # through port_status finds (docs/protocols/direct-activation.md, Our assumptions)
        assert services_on(handle, "DEMO-OK-1") == ["BB1000"]
        assert handle.calls(method="service_order")[0]["fault"] == "hang"
    finally:
        started = time.monotonic()
        handle.stop()
    assert time.monotonic() - started < 2


def test_takes_effect_false_keeps_a_hanging_order_off_the_port(configured: Any) -> None:
    handle = configured(
        with_fault("DEMO-OK-1", "service_order", hang=True, hang_s=5, takes_effect=False)
    )
    with pytest.raises(requests.exceptions.ReadTimeout):
        handle.call(
            "service_order", date=TODAY, service_uid="BB1000", socket="DEMO-OK-1", timeout=0.3
        )
    assert services_on(handle, "DEMO-OK-1") == []


# --- call record and control endpoints -----------------------------------------------------


def test_call_record_lists_every_call_with_outlet_status_and_fault(configured: Any) -> None:
    handle = configured(with_fault("DEMO-OK-1", "port_status", latency_ms=1))
    handle.call("port_status", socket="DEMO-OK-1")
    order(handle, "DEMO-REFUSE-1", "TV-BAS")
    calls = handle.calls()
    assert [(c["kind"], c["method"], c["outlet"], c["status"], c["fault"]) for c in calls] == [
        ("api", "port_status", "DEMO-OK-1", 200, "latency"),
        ("api", "service_order", "DEMO-REFUSE-1", 500, None),
    ]
    assert calls[1]["params"]["service_uid"] == "TV-BAS"
    assert calls[1]["params"]["origin"] == "customer"
    assert all(c["at"] and c["seq"] for c in calls)


def test_reset_clears_calls_ports_and_counters(emulator: EmulatorHandle) -> None:
    # Given an outlet that refused once, then took the order
    order(emulator, "DEMO-REFUSE-1", "BB1000")
    order(emulator, "DEMO-REFUSE-1", "BB1000")
    assert services_on(emulator, "DEMO-REFUSE-1") == ["BB1000"]
    # When the emulator is reset
    emulator.reset()
    # Then nothing was called, the port is as configured and the next order is refused again
    assert emulator.calls() == []
    assert services_on(emulator, "DEMO-REFUSE-1") == []
    assert order(emulator, "DEMO-REFUSE-1", "BB1000").status_code == 500


def test_reset_restores_the_started_config_after_a_replace(emulator: EmulatorHandle) -> None:
    config = demo_config()
    config["outlets"]["DEMO-OK-1"]["service_order"] = {"mode": "always_refuse", "code": 409}
    emulator.configure(config)
    assert order(emulator, "DEMO-OK-1", "BB1000").status_code == 409
    emulator.reset()
    assert order(emulator, "DEMO-OK-1", "BB1000").status_code == 200


def test_config_replace_takes_effect_and_keeps_the_call_record(emulator: EmulatorHandle) -> None:
    emulator.call("port_status", socket="DEMO-OK-1")
    config = demo_config()
    config["outlets"]["NEW-1"] = {"description": "nytt"}
    response = requests.put(
        f"{emulator.api_url}_emulator/config", data=json.dumps(config), timeout=5
    )
    assert response.status_code == 200
    assert emulator.call("port_status", socket="NEW-1").status_code == 200
    assert len(emulator.calls()) == 2


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        json.dumps({**demo_config(), "outlets": {"X": {"service_order": {"mode": "?"}}}}).encode(),
        json.dumps({**demo_config(), "visitors": {"not-an-ip": "DEMO-OK-1"}}).encode(),
        json.dumps({**demo_config(), "visitors": {"127.0.0.9": "MISSING-1"}}).encode(),
    ],
)
def test_config_replace_with_a_bad_body_is_400_and_changes_nothing(
    emulator: EmulatorHandle, body: bytes
) -> None:
    response = requests.put(f"{emulator.api_url}_emulator/config", data=body, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]
    assert "demo-password" not in response.text
    assert emulator.call("port_status", socket="DEMO-OK-1").status_code == 200


def test_health_and_unknown_control_endpoints(emulator: EmulatorHandle) -> None:
    assert requests.get(f"{emulator.api_url}_emulator/health", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{emulator.api_url}_emulator/nope", timeout=5).status_code == 404


# --- bounce server -------------------------------------------------------------------------


def test_bounce_from_a_known_address_redirects_with_a_valid_signature(
    emulator: EmulatorHandle,
) -> None:
    visit = emulator.bounce_from("127.0.0.2", RETURN_URL, "nonce-123")
    assert visit.status == 302
    assert visit.location is not None and visit.location.startswith(RETURN_URL + "?")
    result = visit.result()
    assert (result.status, result.uid, result.message, result.nonce) == (
        "ok",
        "DEMO-OK-1",
        "",
        "nonce-123",
    )
    assert abs(result.expires - (time.time() + 120)) < 5
    assert signature_matches(b"demo-bounce-secret", result, visit.signature, return_url=RETURN_URL)
    assert not signature_matches(b"another-secret", result, visit.signature, return_url=RETURN_URL)
    # The return URL is signed: the result verifies only for the URL it was sent to
    other = "http://evil.test/collect"
    assert not signature_matches(b"demo-bounce-secret", result, visit.signature, return_url=other)


def test_bounce_looks_at_the_peer_address_not_at_headers(emulator: EmulatorHandle) -> None:
    response = requests.get(
        emulator.bounce_url,
        params={"return_url": RETURN_URL, "nonce": "n"},
        headers={"X-Forwarded-For": "127.0.0.2", "X-Real-IP": "127.0.0.2"},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 200  # the chooser page for 127.0.0.1, not DEMO-OK-1


def test_bounce_keeps_the_query_of_the_return_url(emulator: EmulatorHandle) -> None:
    visit = emulator.bounce_from("127.0.0.3", RETURN_URL + "?steg=2", "n")
    assert visit.location is not None and "?steg=2&status=ok&" in visit.location
    assert visit.params["uid"] == "DEMO-REFUSE-1"


def test_bounce_from_the_not_found_address_says_not_found(emulator: EmulatorHandle) -> None:
    visit = emulator.bounce_from("127.0.0.5", RETURN_URL, "n-5")
    result = visit.result()
    assert (visit.status, result.status, result.uid) == (302, "not found", "")
    assert "status=not%20found" in (visit.location or "")
    assert signature_matches(emulator.bounce_secret, result, visit.signature, return_url=RETURN_URL)


def test_unknown_address_gets_the_chooser_which_then_acts_as_the_choice(
    emulator: EmulatorHandle,
) -> None:
    # Given a visitor the demo does not know
    visit = emulator.bounce_from("127.0.0.1", RETURN_URL, "<nonce>")
    # Then it gets a Swedish page listing every configured address, with escaped values
    assert visit.status == 200
    assert visit.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in visit.headers["content-security-policy"]
    assert '<html lang="sv">' in visit.body
    assert "Välj vilket uttag du vill låtsas sitta bakom" in visit.body
    for address in ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"):
        assert address in visit.body
    assert "DEMO-REFUSE-1" in visit.body
    assert "<nonce>" not in visit.body
    assert "&lt;nonce&gt;" in visit.body or "%3Cnonce%3E" in visit.body
    # and loads nothing from elsewhere
    assert not any(tag in visit.body for tag in ("<script", "<link", "<img", "src="))
    # When it picks 127.0.0.3
    chosen = emulator.bounce_from(
        "127.0.0.1", RETURN_URL, "<nonce>", path="/bounce/choose", extra={"as": "127.0.0.3"}
    )
    # Then it is redirected as if it sat behind DEMO-REFUSE-1
    result = chosen.result()
    assert (chosen.status, result.status, result.uid, result.nonce) == (
        302,
        "ok",
        "DEMO-REFUSE-1",
        "<nonce>",
    )
    assert signature_matches(
        emulator.bounce_secret, result, chosen.signature, return_url=RETURN_URL
    )


def test_chooser_links_lead_to_choose(emulator: EmulatorHandle) -> None:
    visit = emulator.bounce_from("127.0.0.1", RETURN_URL, "n")
    assert visit.body.count('href="/bounce/choose?as=127.0.0.') == 4


def test_choose_with_an_address_outside_the_demo_is_400(emulator: EmulatorHandle) -> None:
    visit = emulator.bounce_from(
        "127.0.0.1", RETURN_URL, "n", path="/bounce/choose", extra={"as": "10.0.0.1"}
    )
    assert visit.status == 400


@pytest.mark.parametrize(
    "return_url",
    [
        "javascript:alert(1)",
        "ftp://example.org/x",
        "//example.org/x",
        "http://",
        "",
        "http://example.org/\r\nSet-Cookie: x=1",
    ],
)
def test_bounce_refuses_a_return_url_that_is_not_http(
    emulator: EmulatorHandle, return_url: str
) -> None:
    visit = emulator.bounce_from("127.0.0.2", return_url, "n")
    assert visit.status == 400
    assert visit.location is None
    assert "set-cookie" not in visit.headers


def test_bounce_requires_a_nonce(emulator: EmulatorHandle) -> None:
    assert emulator.bounce_from("127.0.0.2", RETURN_URL, "").status == 400


def test_bounce_in_error_mode_answers_a_signed_error(configured: Any) -> None:
    config = demo_config()
    config["bounce"]["mode"] = "error"
    handle = configured(config)
    visit = handle.bounce_from("127.0.0.2", RETURN_URL, "n")
    result = visit.result()
    assert (result.status, result.uid) == ("error", "")
    assert result.message
    assert signature_matches(handle.bounce_secret, result, visit.signature, return_url=RETURN_URL)


def test_bounce_in_hang_mode_outlasts_the_client_deadline(configured: Any) -> None:
    config = demo_config()
    config["bounce"]["mode"] = "hang"
    handle = configured(config)
    with pytest.raises(TimeoutError):
        handle.bounce_from("127.0.0.2", RETURN_URL, "n", timeout=0.3)
    assert handle.calls(kind="bounce")[0]["fault"] == "hang"


def test_bounce_requests_are_in_the_call_record(emulator: EmulatorHandle) -> None:
    emulator.bounce_from("127.0.0.2", RETURN_URL, "n1")
    emulator.bounce_from("127.0.0.1", RETURN_URL, "n2")
    emulator.bounce_from("127.0.0.2", "ftp://x", "n3")
    calls = emulator.calls(kind="bounce")
    assert [(c["peer"], c["status"], c["result"], c["outlet"]) for c in calls] == [
        ("127.0.0.2", 302, "ok", "DEMO-OK-1"),
        ("127.0.0.1", 200, "chooser", None),
        ("127.0.0.2", 400, "bad_request", None),
    ]
    assert calls[0]["params"]["nonce"] == "n1"


# --- running on its own --------------------------------------------------------------------


def test_command_line_prints_its_urls_and_stops_cleanly_on_ctrl_c() -> None:
    env = {**os.environ, "EMULATOR_API_PASSWORD": "from-env"}
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.emulator", "--api-port", "0", "--bounce-port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        api_line = process.stdout.readline()
        bounce_line = process.stdout.readline()
        api_url = api_line.split("API", 1)[1].split()[0]
        assert bounce_line.strip().endswith("/bounce")
        response = requests.get(
            api_url,
            params={"method": "port_status", "socket": "DEMO-OK-1"},
            auth=("demo", "from-env"),
            timeout=5,
        )
        assert response.status_code == 200
        assert "from-env" not in api_line + bounce_line
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_command_line_rejects_a_bad_config_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"api": {"user": "demo"}}))
    completed = subprocess.run(
        [sys.executable, "-m", "infra.local.emulator", "--config", str(path), "--api-port", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert completed.returncode == 2
    assert "api.password" in completed.stderr
    assert "bounce" in completed.stderr
