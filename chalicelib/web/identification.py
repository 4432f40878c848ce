"""Identification through the city network's bounce server
(docs/protocols/direct-activation.md, "Identification").

`GET /` sends a visitor whose address lies in a city network's ranges to its bounce URL with
a single-use nonce, remembered server-side and in this browser's session. The callback binds
the browser to the outlet only if domain.bounce accepts it; everything else continues
unidentified and is logged with its reason, never with the uid or the message.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from chalice.app import Response

from ..domain.bounce import Rejection, judge_callback, read_callback
from ..domain.errors import NotFound
from ..domain.models import CityNetwork
from ..domain.ports import Catalog
from .session import PRE_IDENTIFICATION_TTL_S, Identified
from .visit import Visit

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/identify/callback"


def city_network_of(address: str, catalog: Catalog) -> CityNetwork | None:
    for city_network in catalog.list_city_networks():
        if city_network.contains(address):
            return city_network
    return None


def bounce_location(bounce_url: str, return_url: str, nonce: str) -> str:
    parts = urlsplit(bounce_url)
    added = urlencode({"return_url": return_url, "nonce": nonce})
    return parts._replace(query=f"{parts.query}&{added}" if parts.query else added).geturl()


def landing(visit: Visit) -> Response:
    """`GET /`: bounce an in-range visitor once per session; everyone else sees the offers."""
    session = visit.session
    if session is not None and (session.identified is not None or session.settled):
        return visit.redirect("/offers")
    deps = visit.adapters
    city_network = city_network_of(visit.source_ip, deps.catalog)
    if city_network is None or not visit.adapters.bounce_probe.answers(city_network):
        visit.keep(visit.ensure_session().unidentified())
        return visit.redirect("/offers")
    nonce = secrets.token_urlsafe(32)
    visit.adapters.tokens.claim(
        f"nonce:{nonce}",
        visit.now + timedelta(seconds=PRE_IDENTIFICATION_TTL_S),
        {"city_network_id": city_network.id},
    )
    visit.keep(
        replace(
            visit.ensure_session(),
            pre_nonce=nonce,
            pre_expires=visit.now_epoch + PRE_IDENTIFICATION_TTL_S,
        )
    )
    return_url = visit.base_url() + CALLBACK_PATH
    return visit.redirect(bounce_location(city_network.bounce_url, return_url, nonce))


def _continue_unidentified(visit: Visit, reason: Rejection | str) -> Response:
    level = logging.INFO if reason in (Rejection.NOT_FOUND,) else logging.WARNING
    logger.log(level, "bounce callback not accepted: %s", reason, extra={"reason": str(reason)})
    visit.keep(visit.ensure_session().unidentified())
    return visit.redirect("/offers")


def callback(visit: Visit) -> Response:
    """`GET /identify/callback`: the bounce server's signed answer (domain.bounce decides)."""
    signed = read_callback(visit.query)
    if signed is None:
        return _continue_unidentified(visit, Rejection.MALFORMED)
    nonce = signed.result.nonce
    tokens = visit.adapters.tokens
    issued = tokens.get(f"nonce:{nonce}")
    if not issued or not isinstance(issued.get("city_network_id"), str):
        return _continue_unidentified(visit, Rejection.UNKNOWN_NONCE)
    try:
        city_network = visit.adapters.catalog.get_city_network(issued["city_network_id"])
        secret = visit.adapters.secrets.get(f"{city_network.credentials_ref}/bounce")
    except NotFound:
        logger.error("no bounce secret for the city network", extra={"reason": "no_secret"})
        return _continue_unidentified(visit, "no_secret")
    session = visit.session
    verdict = judge_callback(
        signed,
        secret=secret.encode(),
        browser_nonce=session.pending_nonce(visit.now_epoch) if session else None,
        now_epoch=visit.now_epoch,
        record_first_use=lambda: tokens.claim(
            f"nonce-used:{nonce}",
            visit.now + timedelta(seconds=2 * PRE_IDENTIFICATION_TTL_S),
        ),
    )
    if verdict.access_id is None or session is None:
        return _continue_unidentified(visit, verdict.rejection or Rejection.MALFORMED)
    who = Identified(city_network.id, verdict.access_id, visit.now_epoch)
    visit.keep(session.identify(who, visit.now_epoch))
    logger.info("visitor identified", extra={"city_network_id": city_network.id})
    return visit.redirect("/offers")


def not_ordering_from_home(visit: Visit) -> Response:
    """ "Jag beställer inte hemifrån": forget the outlet, continue unidentified."""
    visit.keep(visit.ensure_session().unidentified())
    return visit.redirect("/offers", status=303)
