"""The two feeds a poller reads: orderevents (pulled with the network's cursor) and
accesses (with If-Modified-Since). Pure functions of (HTTP status, body, headers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import AccessesResult, AccessRow, OrderEvent, OrderEventsResult
from .replies import parse_order_object
from .values import an_id, count, json_value, judge, text, unexpected

# --- orderevents ---------------------------------------------------------------------------


def parse_order_events(
    status: int, body: bytes, headers: Mapping[str, str], *, since: str | None
) -> OrderEventsResult:
    verdict = judge(status, body, headers)
    base: dict[str, Any] = {"method": "orderevents", "duration_ms": 0, **verdict.fields()}
    base["retry_after_s"] = verdict.retry_after_s
    if verdict.outcome != "ok":
        return OrderEventsResult(**base, cursor=since)
    rows = verdict.data
    if not isinstance(rows, list):
        return OrderEventsResult(**{**base, **unexpected("reply is not a list")}, cursor=since)
    events: list[OrderEvent] = []
    cursor, skipped, fresh = since, 0, since is None
    for row in rows:
        event_id = an_id(row.get("event")) if isinstance(row, dict) else None
        if not fresh and event_id == since:
            # The spec does not say whether `since` is inclusive: the event itself is old.
            fresh = True
            continue
        fresh = True
        order = parse_order_object(row.get("order")) if isinstance(row, dict) else None
        if event_id is None or order is None:
            skipped += 1
            cursor = event_id or cursor
            continue
        events.append(OrderEvent(event_id=event_id, order=order))
        cursor = event_id
    return OrderEventsResult(**base, events=tuple(events), cursor=cursor, skipped=skipped)


# --- accesses ------------------------------------------------------------------------------

_ACCESS_FIELDS = {
    "legacy_access_id": "legacyAccessId",
    "street_name": "streetName",
    "street_number": "streetNumber",
    "street_littera": "streetLittera",
    "postal_code": "postalCode",
    "city": "city",
    "country_code": "countryCode",
    "premises_type": "premisesType",
    "mdu_apartment_number": "mduApartmentNumber",
    "mdu_distinguisher": "mduDistinguisher",
    "outlet": "outlet",
    "population": "population",
    "access_state": "accessState",
    "national_address_uuid": "nationalAddressUUID",
}


def parse_accesses(
    status: int, body: bytes, headers: Mapping[str, str], *, if_modified_since: str | None
) -> AccessesResult:
    last_modified = text(headers.get("last-modified"))
    base: dict[str, Any] = {"method": "accesses", "duration_ms": 0}
    if status == 404 and (not body.strip() or json_value(body)[1]):
        # accesses.md: 404 is "no available accesses", not an error.
        return AccessesResult(**base, outcome="ok", code="404", last_modified=last_modified)
    verdict = judge(status, body, headers)
    base.update(verdict.fields(), retry_after_s=verdict.retry_after_s)
    if verdict.outcome != "ok":
        return AccessesResult(**base)
    if status == 304:
        return AccessesResult(
            **base, modified=False, last_modified=last_modified or if_modified_since
        )
    rows = verdict.data
    if not isinstance(rows, list):
        return AccessesResult(**{**base, **unexpected("reply is not a list")})
    accesses = [access for row in rows if (access := _access(row)) is not None]
    return AccessesResult(
        **base,
        last_modified=last_modified,
        accesses=tuple(accesses),
        skipped=len(rows) - len(accesses),
    )


def _access(row: object) -> AccessRow | None:
    if not isinstance(row, dict) or (access_id := an_id(row.get("accessId"))) is None:
        return None
    fields = {name: text(row.get(key), numbers=True) for name, key in _ACCESS_FIELDS.items()}
    return AccessRow(access_id=access_id, price_group=count(row.get("priceGroup")), **fields)
