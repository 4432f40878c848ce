"""An ON-API network's web-portal hand-over (docs/protocols/on-api.md, "The web-portal
hand-over"): `GET /identify/on-api?n=<our nonce>&ko=..&accessId=..&mac=..&tid=..&hash=..`.

`GET /` (web/identification.py, `landing`) sent the visitor to the portal with a nonce
recorded as a bounce nonce is. The hand-over binds the browser to the outlet only if
domain.portal accepts it; then the visitor is identified exactly as after a verified bounce.
Everything else continues unidentified (scenario 4), logged with its reason and never with
the access id, the MAC address or the hash; a hand-over from another address, at another
URL or from outside the network is explained to the visitor as well.
"""

from __future__ import annotations

import logging

from chalice.app import Response

from ..domain.bounce import Binding
from ..domain.errors import NotFound
from ..domain.models import ON_API
from ..domain.portal import (
    MAX_AGE,
    MAX_AHEAD,
    PORTAL_BINDING_REJECTIONS,
    PortalRejection,
    judge_hand_over,
    read_hand_over,
)
from .identification import (
    city_network_of,
    continue_unidentified,
    issued_binding,
    portal_return_url,
)
from .session import Identified
from .visit import Visit

logger = logging.getLogger(__name__)

# A used hand-over is remembered for longer than it could still be accepted.
USED_FOR = 2 * (MAX_AGE + MAX_AHEAD)


def _refuse(visit: Visit, reason: PortalRejection | str) -> Response:
    logger.warning("portal hand-over not accepted: %s", reason, extra={"reason": str(reason)})
    return continue_unidentified(visit, explain=reason in PORTAL_BINDING_REJECTIONS)


def hand_over(visit: Visit) -> Response:
    """`GET /identify/on-api`: the portal's hand-over (domain.portal decides)."""
    given = read_hand_over(visit.query)
    if given is None:
        return _refuse(visit, PortalRejection.MALFORMED)
    tokens = visit.adapters.tokens
    issued = issued_binding(tokens.get(f"nonce:{given.nonce}"))
    if issued is None:
        return _refuse(visit, PortalRejection.UNKNOWN_NONCE)
    city_network_id, binding = issued
    catalog = visit.adapters.catalog
    try:
        city_network = catalog.get_city_network(city_network_id)
        if city_network.protocol != ON_API:
            return _refuse(visit, PortalRejection.UNKNOWN_NONCE)  # a bounce's nonce
        key = visit.adapters.secrets.get(f"{city_network.credentials_ref}/portal")
    except NotFound:
        logger.error("no portal key for the city network", extra={"reason": "no_secret"})
        return _refuse(visit, "no_secret")
    session = visit.session
    here = city_network_of(visit.source_ip, catalog)
    verdict = judge_hand_over(
        given,
        key=key.encode(),
        expected_ko=city_network.co_id or city_network.id,
        browser_nonce=session.pending_nonce(visit.now_epoch) if session else None,
        issued=binding,
        arrived=Binding(
            address=visit.source_ip, return_url=portal_return_url(visit.base_url(), given.nonce)
        ),
        in_the_network=here is not None and here.id == city_network.id,
        now=visit.now,
        record_first_use=lambda: tokens.claim(
            f"portal-hand-over:{given.hash}", visit.now + USED_FOR
        ),
    )
    if verdict.access_id is None or session is None:
        return _refuse(visit, verdict.rejection or PortalRejection.MALFORMED)
    who = Identified(city_network.id, verdict.access_id, visit.now_epoch, by="portal")
    visit.keep(session.identify(who, visit.now_epoch))
    logger.info(
        "visitor identified",
        extra={"city_network_id": city_network.id, "identified_by": "portal"},
    )
    return visit.redirect("/offers")
