"""Identification through the city network's bounce server
(docs/protocols/direct-activation.md, "Identification"), or an ON-API network's web portal
(docs/protocols/on-api.md, "The web-portal hand-over"; its return is web/portal.py).

`GET /` sends a visitor whose address lies in a city network's ranges to its bounce URL (or
portal) with a single-use nonce, remembered server-side (with the visitor's address and the
return URL it was issued for) and in this browser's session. The callback binds the browser
to the outlet only if domain.bounce accepts it; everything else continues unidentified and
is logged with its reason, never with the uid or the message. A callback from another
address or at another URL than the nonce's is explained to the visitor as well.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from chalice.app import Response

from ..domain.bounce import (
    BINDING_REJECTIONS,
    Binding,
    Rejection,
    judge_callback,
    read_callback,
)
from ..domain.errors import NotFound
from ..domain.models import ON_API, CityNetwork, city_network_at
from ..domain.ports import Catalog
from .errors import PageError
from .pages import not_from_home_page, not_identified_page
from .session import PRE_IDENTIFICATION_TTL_S, Identified, csrf_token, csrf_token_matches
from .visit import Visit

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/identify/callback"
# Where an ON-API network's portal hands the visitor back (web/portal.py), with our nonce.
PORTAL_RETURN_PATH = "/identify/on-api"
# What the nonce's record holds: what the callback is checked against.
_ISSUED = ("city_network_id", "address", "return_url")


def city_network_of(address: str, catalog: Catalog) -> CityNetwork | None:
    """The visitor's city network by address; the most specific range wins."""
    return city_network_at(address, catalog.list_city_networks())


def bounce_location(bounce_url: str, return_url: str, nonce: str) -> str:
    return with_query(bounce_url, {"return_url": return_url, "nonce": nonce})


def with_query(url: str, params: Mapping[str, str]) -> str:
    """`url` with `params` added to the query it already has."""
    parts = urlsplit(url)
    added = urlencode(params)
    return parts._replace(query=f"{parts.query}&{added}" if parts.query else added).geturl()


def portal_return_url(base_url: str, nonce: str) -> str:
    """The return URL an ON-API portal is given: ours, carrying our nonce."""
    return with_query(base_url + PORTAL_RETURN_PATH, {"n": nonce})


def landing(visit: Visit) -> Response:
    """`GET /`: send an in-range visitor to be identified once per session (the bounce
    server, or an ON-API network's portal); everyone else sees the offers."""
    session = visit.session
    if session is not None and (session.identified is not None or session.settled):
        return visit.redirect("/offers")
    deps = visit.adapters
    city_network = city_network_of(visit.source_ip, deps.catalog)
    if city_network is not None and city_network.protocol == ON_API and city_network.portal_url:
        return _to_portal(visit, city_network, city_network.portal_url)
    if city_network is None or not visit.adapters.bounce_probe.answers(city_network):
        visit.keep(visit.ensure_session().unidentified())
        return visit.redirect("/offers")
    nonce = secrets.token_urlsafe(32)
    where = _here(visit)
    _issue(visit, nonce, city_network, where)
    return visit.redirect(bounce_location(city_network.bounce_url, where.return_url, nonce))


def _to_portal(visit: Visit, city_network: CityNetwork, portal_url: str) -> Response:
    """An ON-API network's visitor: to its portal, which hands them back to our return URL
    with the outlet. A portal that does not answer (probed as a bounce server is) leaves the
    visitor unidentified instead of stranded."""
    if not visit.adapters.bounce_probe.answers(
        city_network.model_copy(update={"bounce_url": portal_url})
    ):
        visit.keep(visit.ensure_session().unidentified())
        return visit.redirect("/offers")
    nonce = secrets.token_urlsafe(32)
    where = Binding(address=visit.source_ip, return_url=portal_return_url(visit.base_url(), nonce))
    _issue(visit, nonce, city_network, where)
    return visit.redirect(with_query(portal_url, {"return_url": where.return_url}))


def _issue(visit: Visit, nonce: str, city_network: CityNetwork, where: Binding) -> None:
    """Record a nonce for `city_network`, bound to `where`, and give it to this browser."""
    visit.adapters.tokens.claim(
        f"nonce:{nonce}",
        visit.now + timedelta(seconds=PRE_IDENTIFICATION_TTL_S),
        {
            "city_network_id": city_network.id,
            "address": where.address,
            "return_url": where.return_url,
        },
    )
    visit.keep(
        replace(
            visit.ensure_session(),
            pre_nonce=nonce,
            pre_expires=visit.now_epoch + PRE_IDENTIFICATION_TTL_S,
        )
    )


def _here(visit: Visit) -> Binding:
    """This request's address and our callback URL as this request reaches us."""
    return Binding(address=visit.source_ip, return_url=visit.base_url() + CALLBACK_PATH)


def issued_binding(record: Mapping[str, Any] | None) -> tuple[str, Binding] | None:
    """The city network and the binding a nonce was issued with; None: not one of ours."""
    values = [(record or {}).get(name) for name in _ISSUED]
    if not all(isinstance(value, str) for value in values):
        return None
    network, address, return_url = (str(value) for value in values)
    return network, Binding(address=address, return_url=return_url)


def _continue_unidentified(visit: Visit, reason: Rejection | str) -> Response:
    level = logging.INFO if reason in (Rejection.NOT_FOUND,) else logging.WARNING
    logger.log(level, "bounce callback not accepted: %s", reason, extra={"reason": str(reason)})
    return continue_unidentified(visit, explain=reason in BINDING_REJECTIONS)


def continue_unidentified(visit: Visit, *, explain: bool) -> Response:
    """Scenario 4 after an identification that identified nobody; `explain`: with the page
    that says the identification went astray on the way back."""
    session = visit.session
    if session is not None and session.identified is not None:
        # A callback that identifies nobody takes nothing away either: another site can make
        # the browser open one.
        return visit.redirect("/offers")
    visit.keep(visit.ensure_session().unidentified())
    if explain:
        return visit.html(not_identified_page(visit.context("/offers")))
    return visit.redirect("/offers")


def callback(visit: Visit) -> Response:
    """`GET /identify/callback`: the bounce server's signed answer (domain.bounce decides)."""
    signed = read_callback(visit.query)
    if signed is None:
        return _continue_unidentified(visit, Rejection.MALFORMED)
    nonce = signed.result.nonce
    tokens = visit.adapters.tokens
    issued = issued_binding(tokens.get(f"nonce:{nonce}"))
    if issued is None:
        return _continue_unidentified(visit, Rejection.UNKNOWN_NONCE)
    city_network_id, binding = issued
    try:
        city_network = visit.adapters.catalog.get_city_network(city_network_id)
        secret = visit.adapters.secrets.get(f"{city_network.credentials_ref}/bounce")
    except NotFound:
        logger.error("no bounce secret for the city network", extra={"reason": "no_secret"})
        return _continue_unidentified(visit, "no_secret")
    session = visit.session
    verdict = judge_callback(
        signed,
        secret=secret.encode(),
        browser_nonce=session.pending_nonce(visit.now_epoch) if session else None,
        issued=binding,
        arrived=_here(visit),
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


def about_not_ordering_from_home(visit: Visit) -> Response:
    """`GET /unidentified`: what "I am not ordering from home" does, and its button. Changes
    nothing: a link or an image on another site can make a browser GET this."""
    session = visit.session
    if session is None or session.identified is None:
        return visit.redirect("/offers")
    token = csrf_token(session, visit.adapters.signing_key)
    return visit.html(not_from_home_page(visit.context("/unidentified"), token))


def not_ordering_from_home(visit: Visit) -> Response:
    """`POST /unidentified`, "Jag beställer inte hemifrån": forget the outlet, continue
    unidentified. Only from our own page (its CSRF token): another site must not be able to
    make the visitor forget it."""
    from .order_form import parse_form_body  # the form's modules, only for this POST

    raw = visit.request.raw_body
    fields = parse_form_body(raw.encode() if isinstance(raw, str) else raw)
    given = fields.get("csrf_token") or []
    session = visit.session
    key = visit.adapters.signing_key
    if session is None or len(given) != 1 or not csrf_token_matches(session, key, given[0]):
        raise PageError(403, "missing or wrong CSRF token")
    visit.keep(session.unidentified())
    return visit.redirect("/offers", status=303)
