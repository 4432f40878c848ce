"""The Direct Activation 1.1 client (docs/protocols/direct-activation.md).

Parsing is a set of pure functions (reply bytes + HTTP status -> typed result) so every
reply shape can be tested without a network. The client adds transport, timing and logging.
Nothing here raises for what a city network answers or fails to answer: that becomes a
`refused` or `transient` result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol, TypeVar

import defusedxml
import defusedxml.ElementTree as SafeET
import requests
from aws_lambda_powertools import Logger

from ...domain.citynet import (
    CallResult,
    DeliverableResult,
    Outcome,
    PortStatusResult,
    ServiceOrderResult,
)
from ...domain.models import PortStatus, ServiceOnPort
from .bounded_http import HttpFault, HttpReply, bounded_get, new_session

logger = Logger(child=True)

R = TypeVar("R", bound=CallResult)

# 502/503/504 come from whatever stands in front of the city network's application, not
# from the application itself: always transient (docs/protocols/direct-activation.md,
# Our assumptions).
_GATEWAY_STATUSES = frozenset({502, 503, 504})
# A hostile or broken server must not fill our audit trail.
_MAX_TEXT = 1000

Origin = Literal["customer", "provider"]


# --- parsing: pure functions ------------------------------------------------------------


class Element(Protocol):
    """What the parsing uses of an element that defusedxml parsed."""

    tag: str

    def iter(self) -> Iterator[Element]: ...
    def find(self, path: str) -> Element | None: ...
    def findall(self, path: str) -> Sequence[Element]: ...
    def itertext(self) -> Iterator[str]: ...


@dataclass(frozen=True, slots=True)
class _Verdict:
    outcome: Outcome
    code: str | None
    message: str | None
    root: Element | None = None  # the parsed reply, when there is one


def parse_port_status(body: bytes, http_status: int, *, access_id: str) -> PortStatusResult:
    verdict = _judge("port_status", body, http_status)
    port = None
    if verdict.outcome == "ok" and verdict.root is not None:
        port = _port_status(verdict.root, access_id)
    return PortStatusResult(
        method="port_status",
        outcome=verdict.outcome,
        code=verdict.code,
        message=verdict.message,
        duration_ms=0,
        port=port,
    )


def parse_service_deliverable(body: bytes, http_status: int) -> DeliverableResult:
    verdict = _judge("service_deliverable", body, http_status)
    extra: dict[str, str] = {}
    if verdict.outcome == "refused" and verdict.root is not None:
        hardware = _text(verdict.root, "response/hardware", "hardware")
        if hardware:
            extra["hardware"] = hardware
    return DeliverableResult(
        method="service_deliverable",
        outcome=verdict.outcome,
        code=verdict.code,
        message=verdict.message,
        duration_ms=0,
        extra=extra,
    )


def parse_service_order(
    body: bytes,
    http_status: int,
    *,
    method: Literal["service_order", "service_deactivate"] = "service_order",
) -> ServiceOrderResult:
    """service_order and service_deactivate share one reply shape."""
    verdict = _judge(method, body, http_status)
    activation_date = None
    if verdict.outcome == "ok" and verdict.root is not None:
        # Our emulator names a later activation date this way; real replies may not.
        activation_date = _date(_text(verdict.root, "response/date", "date"))
    return ServiceOrderResult(
        method=method,
        outcome=verdict.outcome,
        code=verdict.code,
        message=verdict.message,
        duration_ms=0,
        activation_date=activation_date,
    )


def _judge(method: str, body: bytes, http_status: int) -> _Verdict:
    """Refusal vs transient, per docs/protocols/direct-activation.md "Our assumptions"."""
    if http_status in _GATEWAY_STATUSES:
        return _Verdict(
            "transient", f"http_{http_status}", f"city network unavailable (HTTP {http_status})"
        )
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        return _Verdict("transient", "forbidden_xml", "reply uses a DTD or entities; rejected")
    except (SafeET.ParseError, ValueError, UnicodeError):
        if http_status >= 400:
            return _Verdict(
                "transient", f"http_{http_status}", f"HTTP {http_status} without a readable reply"
            )
        return _Verdict("transient", "malformed_reply", "reply is not well-formed XML")
    _normalise_tags(root)
    if root.tag != method:
        return _Verdict("transient", "unexpected_reply", f"reply root is not <{method}>")

    status = (_text(root, "status", "response/status") or "").lower()
    xml_code = _text(root, "response/code", "code")
    code = xml_code if xml_code and xml_code.isdigit() and len(xml_code) == 3 else str(http_status)
    message = _text(root, "response/message", "message")
    if status == "success":
        return _Verdict("ok", code, message, root)
    if status != "failed":
        return _Verdict("transient", "unexpected_reply", "reply has no success/failed status")
    number = int(code) if code.isdigit() else 0
    if 400 <= number < 500 or (500 <= number < 600 and message):
        return _Verdict("refused", code, message, root)
    if 500 <= number < 600:
        return _Verdict("transient", code, f"city network failed with {code} and no reason", root)
    return _Verdict("transient", code, f"city network failed with {code}, not a refusal", root)


def _normalise_tags(root: Element) -> None:
    """Match elements by local name, case-insensitively: real city networks vary."""
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = element.tag.rsplit("}", 1)[-1].strip().lower()


def _text(element: Element, *paths: str) -> str | None:
    """The stripped text of the first path present; None when absent or empty."""
    for path in paths:
        found = element.find(path)
        if found is not None:
            text = "".join(found.itertext()).strip()
            return text[:_MAX_TEXT] if text else None
    return None


def _port_status(root: Element, access_id: str) -> PortStatus:
    info = _first(root, "response/info", "info")
    services = _first(root, "response/services", "services")

    def info_text(name: str) -> str | None:
        return _text(info, name) if info is not None else None

    cocpe = (info_text("cocpe") or "").upper()
    return PortStatus(
        access_id=access_id,
        message=info_text("message"),
        nettype=info_text("nettype"),
        media=info_text("media"),
        port_capacity_mbit=_int(info_text("portcapacity")),
        cpe_capacity_mbit=_int(info_text("cpecapacity")),
        city_network_owns_cpe={"YES": True, "NO": False}.get(cocpe),
        services=tuple(
            service
            for element in (services.findall("service") if services is not None else [])
            if (service := _service_on_port(element)) is not None
        ),
    )


def _service_on_port(element: Element) -> ServiceOnPort | None:
    uid = _text(element, "id")
    if uid is None:
        return None  # unusable for reconciliation without its id
    return ServiceOnPort(
        service_uid=uid,
        date=_date(_text(element, "date")),
        name=_text(element, "name"),
        commitment=_date(_text(element, "commitment")),
        release=_date(_text(element, "release")),  # "0" means none: not a date
        message=_text(element, "message"),
    )


def _first(element: Element, *paths: str) -> Element | None:
    for path in paths:
        found = element.find(path)
        if found is not None:
            return found
    return None


def _int(text: str | None) -> int | None:
    try:
        value = int(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


# --- the client -------------------------------------------------------------------------


class DirectActivationClient:
    """CityNetworkClient over Direct Activation 1.1: one pooled session per city network."""

    def __init__(
        self,
        city_network_id: str,
        api_url: str,
        credentials: str,
        *,
        deadline_s: float,
        max_reply_bytes: int,
        session: requests.Session | None = None,
    ) -> None:
        user, separator, password = credentials.partition(":")
        if not separator or not user:
            # Never echo the value: it is a secret.
            raise ValueError(
                f"credentials for city network {city_network_id!r} are not 'user:password'"
            )
        self.city_network_id = city_network_id
        self._api_url = api_url
        self._auth = (user, password)
        self._deadline_s = deadline_s
        self._max_reply_bytes = max_reply_bytes
        self._session = session or _new_session()

    def __repr__(self) -> str:
        return f"DirectActivationClient({self.city_network_id!r})"

    def close(self) -> None:
        self._session.close()

    def port_status(self, access_id: str) -> PortStatusResult:
        return self._call(
            "port_status",
            [("socket", access_id)],
            lambda reply: parse_port_status(reply.body, reply.status, access_id=access_id),
            PortStatusResult,
        )

    def service_deliverable(
        self, access_id: str, service_uid: str, *, origin: Origin = "customer"
    ) -> DeliverableResult:
        return self._call(
            "service_deliverable",
            [("origin", origin), ("service_uid", service_uid), ("socket", access_id)],
            lambda reply: parse_service_deliverable(reply.body, reply.status),
            DeliverableResult,
        )

    def service_order(
        self,
        access_id: str,
        service_uid: str,
        activation_date: date,
        *,
        origin: Origin = "customer",
        order_ref: str | None = None,
        customer_ref: str | None = None,
        xspcid: str | None = None,
        forced_takeover: bool = False,  # Direct Activation has no takeover: ignored
    ) -> ServiceOrderResult:
        """`order_ref`/`customer_ref`/`xspcid` are references for the city network: pass
        our ids, never personal data."""
        params = [("origin", origin), ("date", activation_date.isoformat())]
        params += [("service_uid", service_uid), ("socket", access_id)]
        optional = {"order": order_ref, "customer": customer_ref, "xspcid": xspcid}
        params += [(name, value) for name, value in optional.items() if value]
        return self._call(
            "service_order",
            params,
            lambda reply: parse_service_order(reply.body, reply.status),
            ServiceOrderResult,
        )

    def service_deactivate(
        self, access_id: str, service_uid: str, deactivation_date: date
    ) -> ServiceOrderResult:
        return self._call(
            "service_deactivate",
            [
                ("date", deactivation_date.isoformat()),
                ("service_uid", service_uid),
                ("socket", access_id),
            ],
            lambda reply: parse_service_order(
                reply.body, reply.status, method="service_deactivate"
            ),
            ServiceOrderResult,
        )

    def network_order(self, network_order_id: str) -> ServiceOrderResult:
        # Direct Activation answers service_order at once: no order is ever left with the
        # network to finish later, so there is nothing to ask (and no call is made).
        return ServiceOrderResult(
            method="network_order",
            outcome="refused",
            code="unsupported",
            message="Direct Activation has no orders to follow",
            duration_ms=0,
        )

    def _call(
        self,
        method: str,
        params: Sequence[tuple[str, str]],
        parse: Callable[[HttpReply], R],
        result_type: type[R],
    ) -> R:
        started = time.monotonic()
        try:
            reply = bounded_get(
                self._session,
                self._api_url,
                params=[("method", method), *params],
                auth=self._auth,
                deadline_s=self._deadline_s,
                max_bytes=self._max_reply_bytes,
            )
        except HttpFault as fault:
            result = result_type(
                method=method,
                outcome="transient",
                code=fault.fault,
                message=fault.description,
                duration_ms=_elapsed_ms(started),
            )
        else:
            result = parse(reply).model_copy(update={"duration_ms": _elapsed_ms(started)})
        self._log(result)
        return result

    def _log(self, result: CallResult) -> None:
        # Method, outcome, code and timing only: no credentials, no access id, no texts.
        fields = {
            "city_network_id": self.city_network_id,
            "method": result.method,
            "outcome": result.outcome,
            "code": result.code,
            "duration_ms": result.duration_ms,
        }
        if result.outcome == "transient":
            logger.warning("city network call failed transiently", extra=fields)
        else:
            logger.info("city network call", extra=fields)


def _new_session() -> requests.Session:
    session = new_session()
    session.headers.update(
        {"Accept": "application/xml, text/xml", "User-Agent": "stadsnatsfabriken-da/1.1"}
    )
    return session


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
