"""Direct Activation 1.1 as the emulated city network answers it
(docs/protocols/direct-activation.md).

Pure request -> reply logic over EmulatorState; transport faults live in server.py.
Replies follow the shapes of tests/fixtures/direct_activation/; failures of service_order and
service_deactivate use the envelope from "Our assumptions".
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # building only; parsing is defusedxml's job
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.domain.clock import SystemClock, today_in_sweden

from .config import METHODS, Outlet, PortService, Refusal, RefuseFirst, SucceedWithDate
from .state import EmulatorState

XML_TYPE = "application/xml; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = XML_TYPE


def _xml(root: ET.Element, status: int) -> Reply:
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return Reply(status, text.encode())


def _child(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def success(method: str, response: ET.Element | None = None) -> Reply:
    root = ET.Element(method)
    _child(root, "status", "success")
    if response is not None:
        root.append(response)
    return _xml(root, 200)


def failure(method: str, refusal: Refusal) -> Reply:
    root = ET.Element(method)
    _child(root, "status", "failed")
    response = _child(root, "response")
    _child(response, "code", refusal.code)
    if refusal.hardware:
        _child(response, "hardware", refusal.hardware)
    if refusal.message:
        _child(response, "message", refusal.message)
    return _xml(root, refusal.code)


def _fail(method: str, code: int, message: str | None = None) -> Reply:
    return failure(method, Refusal(code=code, message=message))


def _port_status(state: EmulatorState, outlet: Outlet, access_id: str) -> Reply:
    response = ET.Element("response")
    info = _child(response, "info")
    if outlet.port_message:
        _child(info, "message", outlet.port_message)
    for key, value in outlet.info.model_dump().items():
        if value is not None:
            _child(info, key, value)
    services = _child(response, "services")
    for service in state.services_on_port(access_id) or []:
        element = _child(services, "service")
        _child(element, "id", service.service_uid)
        for key in ("date", "name", "commitment", "release", "message"):
            value = getattr(service, key)
            if value is not None:
                _child(element, key, value)
    return success("port_status", response)


def _service_deliverable(outlet: Outlet, service_uid: str) -> Reply:
    verdict = outlet.deliverability_of(service_uid)
    if verdict == "deliverable":
        response = ET.Element("response")
        _child(response, "code", 200)
        return success("service_deliverable", response)
    return failure("service_deliverable", verdict)


def _service_order(
    state: EmulatorState, outlet: Outlet, access_id: str, service_uid: str, date: dt.date
) -> Reply:
    verdict = outlet.deliverability_of(service_uid)
    if verdict != "deliverable":
        # A city network will not activate what it just said it cannot deliver.
        return failure("service_order", verdict)
    behaviour = outlet.order_behaviour_of(service_uid)
    earlier_attempts = state.count_order(access_id, service_uid)
    if behaviour.mode == "always_refuse" or (
        isinstance(behaviour, RefuseFirst) and earlier_attempts < behaviour.count
    ):
        assert isinstance(behaviour, Refusal)
        return failure("service_order", behaviour)
    response: ET.Element | None = None
    activation = date
    if isinstance(behaviour, SucceedWithDate):
        activation = today_in_sweden(SystemClock()) + dt.timedelta(days=behaviour.days)
        response = ET.Element("response")
        _child(response, "date", activation.isoformat())
    state.add_service(access_id, PortService(service_uid=service_uid, date=activation))
    return success("service_order", response)


def answer(state: EmulatorState, method: str, params: Mapping[str, str]) -> Reply:
    """The city network's reply to one authenticated call (and its effect on the port)."""
    if method not in METHODS:
        return _fail("error", 400, "Okänd eller saknad metod")
    access_id = params.get("socket", "")
    if not access_id:
        return _fail(method, 400, "Parametern socket saknas")
    needs = {"service_deliverable": ("service_uid",), "port_status": ()}.get(
        method, ("service_uid", "date")
    )
    missing = [name for name in needs if not params.get(name)]
    if missing:
        return _fail(method, 400, f"Parametrar saknas: {', '.join(missing)}")
    outlet = state.config.outlets.get(access_id)
    if outlet is None:
        return _fail(method, 404)
    if method == "port_status":
        return _port_status(state, outlet, access_id)
    service_uid = params["service_uid"]
    if method == "service_deliverable":
        return _service_deliverable(outlet, service_uid)
    try:
        date = dt.date.fromisoformat(params["date"])
    except ValueError:
        return _fail(method, 400, "Ogiltigt datum, ange ÅÅÅÅ-MM-DD")
    if method == "service_order":
        return _service_order(state, outlet, access_id, service_uid, date)
    state.remove_service(access_id, service_uid)
    return success("service_deactivate")


def malformed(method: str) -> bytes:
    """A reply cut off mid-element: what a crashed proxy or a half-written file looks like."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{method}><status>success</status>'
        "<response><info><nettype>LAY"
    ).encode()
