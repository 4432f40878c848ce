"""The ON-API 2.6 client (docs/protocols/on-api.md): the endpoints a city network serves
that the broker uses, each call returned as a result (models.py), never raised.

Same guarantees as the Direct Activation client: one pooled session per client, a
wall-clock deadline over the whole exchange (DNS included) and a reply size cap
(transport.py over bounded_http), Basic auth, logs with method, outcome, code and timing
only. The `user:password` secret is read from the Secrets adapter on every call, so a
rotated password is used as soon as the adapter's own cache lets it through.

requests, urllib3 and the watchdog are imported on the first call, not with this module.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from ....domain.citynet import CallResult, DeliverableResult
from ....domain.clock import STOCKHOLM, Clock, SystemClock
from ....domain.errors import NotFound
from ....domain.ports import Secrets
from .feeds import parse_accesses, parse_order_events
from .models import (
    AccessesResult,
    CancelResult,
    OrderEventsResult,
    OrderResult,
    ServicesResult,
    is_id,
)
from .replies import deliverability, parse_cancel, parse_order, parse_services

if TYPE_CHECKING:
    import requests

    from .transport import OnApiReply

logger = logging.getLogger(__name__)

R = TypeVar("R", bound=CallResult)
ORDER_ID_PREFIX = "ord_"


class OnApiClient:
    """One city network's ON-API 2.6. `api_url` is its versioned base, e.g.
    `https://co.example/onapi/2.6/` (README.md of the spec: the path holds the version)."""

    def __init__(
        self,
        city_network_id: str,
        api_url: str,
        secrets: Secrets,
        credentials_ref: str,
        *,
        deadline_s: float,
        max_reply_bytes: int,
        session: requests.Session | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.city_network_id = city_network_id
        self._base = api_url.rstrip("/") + "/"
        self._secrets = secrets
        self._credentials_ref = credentials_ref
        self._deadline_s = deadline_s
        self._max_reply_bytes = max_reply_bytes
        self._session = session
        self._session_lock = threading.Lock()
        self._clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"OnApiClient({self.city_network_id!r})"

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    # --- services ------------------------------------------------------------------------

    def services(self, access_id: str) -> ServicesResult:
        """GET services/{accessId}: what the access can have, and from when."""
        return self._call(
            "services",
            "GET",
            f"services/{_segment(access_id)}",
            lambda r: parse_services(r.status, r.body, r.headers, access_id=access_id),
            ServicesResult,
            ids=(access_id,),
        )

    def service_deliverable(self, access_id: str, service_uid: str) -> DeliverableResult:
        """Whether one service can be ordered now (deliverability has the codes)."""
        return deliverability(self.services(access_id), service_uid, self._clock.now())

    # --- orders --------------------------------------------------------------------------

    def activate(
        self,
        access_id: str,
        service: str,
        *,
        order_id: str,
        requested_at: date | datetime | None = None,
        characteristics: Mapping[str, Any] | None = None,
        forced_takeover: bool = False,
    ) -> OrderResult:
        """POST orders, operation ACTIVATE. `order_id` is ours (`ord_…`); it goes out as
        `spReference` without its prefix (an ON-API ID has no "_"). `forced_takeover` only
        with the customer's consent, and only where services says it is possible."""
        body: dict[str, Any] = {
            "accessId": access_id,
            "service": service,
            "operation": "ACTIVATE",
            "spReference": sp_reference(order_id),
        }
        if requested_at is not None:
            body["requestedDateTime"] = requested_date_time(requested_at)
        if characteristics:
            body["characteristics"] = dict(characteristics)
        if forced_takeover:
            body["forcedTakeover"] = True
        return self._place("order_activate", body, ids=(access_id,))

    def deactivate(
        self, subscription_id: str, *, requested_at: date | datetime | None = None
    ) -> OrderResult:
        """POST orders, operation DEACTIVATE of a subscription (from a DONE_SUCCESS order)."""
        body: dict[str, Any] = {"operation": "DEACTIVATE", "subscriptionId": subscription_id}
        if requested_at is not None:
            body["requestedDateTime"] = requested_date_time(requested_at)
        return self._place("order_deactivate", body, ids=(subscription_id,))

    def order(self, order_id: str) -> OrderResult:
        """GET orders/{orderId} (the city network's order id)."""
        return self._call(
            "order_get",
            "GET",
            f"orders/{_segment(order_id)}",
            lambda r: parse_order(
                r.status, r.body, r.headers, method="order_get", placing=False, order_id=order_id
            ),
            OrderResult,
            ids=(order_id,),
        )

    def cancel(self, order_id: str) -> CancelResult:
        """DELETE orders/{orderId}: possible while the order is RECEIVED."""
        return self._call(
            "order_cancel",
            "DELETE",
            f"orders/{_segment(order_id)}",
            lambda r: parse_cancel(r.status, r.body, r.headers),
            CancelResult,
            ids=(order_id,),
        )

    def _place(self, method: str, body: dict[str, Any], *, ids: tuple[str, ...]) -> OrderResult:
        return self._call(
            method,
            "POST",
            "orders/",
            lambda r: parse_order(r.status, r.body, r.headers, method=method, placing=True),
            OrderResult,
            ids=ids,
            json_body=json.dumps(body, ensure_ascii=False).encode(),
        )

    # --- feeds ---------------------------------------------------------------------------

    def order_events(self, since: str | None = None) -> OrderEventsResult:
        """GET orderevents[?since=<the cursor of the previous pull>]."""
        return self._call(
            "orderevents",
            "GET",
            "orderevents/",
            lambda r: parse_order_events(r.status, r.body, r.headers, since=since),
            OrderEventsResult,
            ids=(since,) if since is not None else (),
            params={"since": since} if since is not None else None,
        )

    def accesses(self, if_modified_since: str | datetime | None = None) -> AccessesResult:
        """GET accesses, with `If-Modified-Since` = the previous reply's `Last-Modified`."""
        header = if_modified_since
        if isinstance(header, datetime):
            header = format_datetime(_utc(header), usegmt=True)
        return self._call(
            "accesses",
            "GET",
            "accesses/",
            lambda r: parse_accesses(r.status, r.body, r.headers, if_modified_since=header),
            AccessesResult,
            headers={"If-Modified-Since": header} if header else None,
        )

    # --- one call ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        http_method: str,
        path: str,
        parse: Callable[[OnApiReply], R],
        result_type: type[R],
        *,
        ids: tuple[str, ...] = (),
        params: Mapping[str, str] | None = None,
        json_body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> R:
        started = time.monotonic()
        result = self._refusal_before_sending(method, ids, result_type)
        if result is None:
            result = self._exchange(
                method,
                http_method,
                path,
                parse,
                result_type,
                params=params,
                json_body=json_body,
                headers=headers,
            )
        result = result.model_copy(update={"duration_ms": _elapsed_ms(started)})
        self._log(result)
        return result

    def _refusal_before_sending(
        self, method: str, ids: tuple[str, ...], result_type: type[R]
    ) -> R | None:
        if not all(is_id(value) for value in ids):
            # An id outside the spec's ID format would also be unsafe in a URL path.
            message = "an id is not in ON-API's ID format; nothing was sent"
            return result_type(
                method=method, outcome="refused", code="invalid_id", message=message, duration_ms=0
            )
        return None

    def _exchange(
        self,
        method: str,
        http_method: str,
        path: str,
        parse: Callable[[OnApiReply], R],
        result_type: type[R],
        **request: Any,
    ) -> R:
        from .transport import HttpFault, bounded_request, new_session

        auth = self._auth()
        if auth is None:
            message = f"the secret {self._credentials_ref!r} is missing or not 'user:password'"
            return result_type(
                method=method,
                outcome="transient",
                code="credentials_unavailable",
                message=message,
                duration_ms=0,
            )
        with self._session_lock:
            if self._session is None:
                self._session = new_session()
            session = self._session
        try:
            reply = bounded_request(
                session,
                http_method,
                self._base + path,
                auth=auth,
                deadline_s=self._deadline_s,
                max_bytes=self._max_reply_bytes,
                **request,
            )
        except HttpFault as fault:
            return result_type(
                method=method,
                outcome="transient",
                code=fault.fault,
                message=fault.description,
                duration_ms=0,
            )
        return parse(reply)

    def _auth(self) -> tuple[str, str] | None:
        try:
            credentials = self._secrets.get(self._credentials_ref)
        except NotFound:
            return None
        user, separator, password = credentials.partition(":")
        return (user, password) if separator and user else None

    def _log(self, result: CallResult) -> None:
        # Method, outcome, code and timing only: no credentials, ids, addresses or texts.
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


def sp_reference(order_id: str) -> str:
    """Our order id as an ON-API spReference: `ord_01J…` -> `01J…`."""
    reference = order_id.removeprefix(ORDER_ID_PREFIX)
    if not is_id(reference):
        raise ValueError("order id does not make an ON-API ID")
    return reference


def requested_date_time(when: date | datetime) -> str:
    """dataformats.md dateTime in UTC. A date means its midnight in Sweden."""
    if not isinstance(when, datetime):
        when = datetime.combine(when, time_of_day(0), tzinfo=STOCKHOLM)
    return _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined instant")
    return moment.astimezone(UTC)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
