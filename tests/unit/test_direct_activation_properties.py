"""Properties of the Direct Activation reply parsers: any bytes with any HTTP status give a
typed result (ok, refused or transient), never an exception; and a refusal is only ever
what docs/protocols/direct-activation.md calls one."""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.adapters.citynet.direct_activation import (
    parse_port_status,
    parse_service_deliverable,
    parse_service_order,
)
from chalicelib.domain.citynet import (
    CallResult,
    DeliverableResult,
    PortStatusResult,
    ServiceOrderResult,
)
from chalicelib.domain.models import CityNetworkCall, PortStatus

PARSERS: dict[str, tuple[Callable[[bytes, int], CallResult], type[CallResult]]] = {
    "port_status": (lambda b, s: parse_port_status(b, s, access_id="A-1"), PortStatusResult),
    "service_deliverable": (parse_service_deliverable, DeliverableResult),
    "service_order": (parse_service_order, ServiceOrderResult),
    "service_deactivate": (
        lambda b, s: parse_service_order(b, s, method="service_deactivate"),
        ServiceOrderResult,
    ),
}

statuses = st.one_of(st.sampled_from([200, 400, 404, 409, 426, 428, 500, 502, 503, 504]),
                     st.integers(min_value=100, max_value=599))  # fmt: skip
# XML-safe text (no control characters but tab and newlines), with and without meaning
xml_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
    st.sampled_from(["success", "failed", "SUCCESS", " failed ", "404", "426", "500", "200",
                     "99", "4040", "YES", "no", "2025-13-40", "2030-05-17", "0", "-5",
                     "١٢٣", "1" * 50]),
)  # fmt: skip
tags = st.sampled_from(
    ["status", "response", "code", "message", "date", "info", "services", "service", "id",
     "name", "commitment", "release", "portcapacity", "cpecapacity", "cocpe", "hardware",
     "nettype", "media", "Status", "RESPONSE", "x"]
)  # fmt: skip


def element(tag: str, content: str) -> str:
    return f"<{tag}>{content}</{tag}>"


elements = st.recursive(
    st.builds(lambda tag, text: element(tag, escape(text)), tags, xml_text),
    lambda inner: st.builds(
        lambda tag, children: element(tag, "".join(children)), tags, st.lists(inner, max_size=5)
    ),
    max_leaves=25,
)


@st.composite
def replies(draw: st.DrawFn, method: str) -> bytes:
    """Documents shaped like Direct Activation replies, right or wrong in every detail."""
    root = draw(st.sampled_from([method, method.upper(), f"da:{method}", "service_order", "x"]))
    namespace = ' xmlns:da="urn:da"' if root.startswith("da:") else ""
    body = "".join(draw(st.lists(elements, max_size=6)))
    declaration = draw(st.sampled_from(['<?xml version="1.0" encoding="UTF-8"?>', ""]))
    text = f"{declaration}<{root}{namespace}>{body}</{root}>"
    encoding = draw(st.sampled_from(["utf-8", "utf-16"]))
    if encoding == "utf-16":
        text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return text.encode(encoding, errors="replace")


def check(result: CallResult, expected: type[CallResult]) -> None:
    assert isinstance(result, expected)
    assert result.outcome in ("ok", "refused", "transient")
    # What the audit trail keeps of it is storable
    CityNetworkCall.model_validate_json(result.as_call().model_dump_json())
    assert len(result.message or "") <= 1000
    if result.outcome == "refused":
        # A refusal is the city network's own 4xx, or a 5xx with its reason
        assert result.code is not None and result.code.isdigit()
        assert 400 <= int(result.code) < 500 or result.message
    if isinstance(result, PortStatusResult) and result.port is not None:
        PortStatus.model_validate_json(result.port.model_dump_json())


@given(
    method=st.sampled_from(list(PARSERS)),
    body=st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(str.encode)),
    status=statuses,
)
def test_arbitrary_bytes_give_a_typed_result(method: str, body: bytes, status: int) -> None:
    parse, expected = PARSERS[method]
    check(parse(body, status), expected)


@given(data=st.data(), method=st.sampled_from(list(PARSERS)), status=statuses)
def test_reply_shaped_documents_give_a_typed_result(
    data: st.DataObject, method: str, status: int
) -> None:
    parse, expected = PARSERS[method]
    check(parse(data.draw(replies(method)), status), expected)


@given(method=st.sampled_from(list(PARSERS)), status=st.sampled_from([502, 503, 504]),
       body=st.binary(max_size=200))  # fmt: skip
def test_gateway_statuses_are_always_transient(method: str, status: int, body: bytes) -> None:
    parse, expected = PARSERS[method]
    result = parse(body, status)
    check(result, expected)
    assert result.outcome == "transient"
