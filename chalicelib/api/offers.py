"""Provider API: the provider's own offers (domain/offer_versions.py has the rules).

PUT creates or replaces: each change is a new immutable version, a PUT repeating what the
newest version says changes nothing, and an `Idempotency-Key` makes a retry return the first
answer. Another provider's offer id is a 404 for every method, and nothing changes.
"""

from __future__ import annotations

from chalice.app import Response

from chalicelib.composition import adapters
from chalicelib.domain import offer_versions
from chalicelib.domain.models import ID_PATTERN

from .idempotency import fingerprint, idempotent
from .offer_schemas import OfferDetailOut, OfferIn, OfferListOut, OfferOut, OfferVersionListOut
from .openapi import Call, PathParam
from .orders import IDEMPOTENCY_KEY
from .registry import BODY_ERRORS, api, json_response

OFFER_ID = PathParam(
    name="offer_id",
    pattern=ID_PATTERN,
    description=(
        "Your offer's id, e.g. bredband-250. A new offer's id is 2 to 40 of a-z, 0-9 and "
        "single hyphens."
    ),
    not_found="offer {} not found",
)


@api.operation(
    "GET",
    "/offers",
    summary="Your offers (the newest version of each, retired ones included)",
    status=200,
    response=OfferListOut,
)
def list_offers(call: Call) -> Response:
    offers = offer_versions.list_offers(call.provider_id, adapters().catalog)
    return json_response(200, OfferListOut(items=[OfferOut.from_domain(o) for o in offers]))


@api.operation(
    "GET",
    "/offers/{offer_id}",
    summary="One offer: its newest version and the version in force",
    status=200,
    response=OfferDetailOut,
    errors=(404,),
    path_params=(OFFER_ID,),
)
def get_offer(call: Call) -> Response:
    deps = adapters()
    versions = offer_versions.versions_of(call.provider_id, call.params["offer_id"], deps.catalog)
    return json_response(200, OfferDetailOut.of(versions, deps.clock.now()))


@api.operation(
    "PUT",
    "/offers/{offer_id}",
    summary="Create or replace an offer (a new version)",
    description=(
        "Each change is a new immutable version; the same body again changes nothing. "
        "valid_from in the future schedules the change: the version before stays in force "
        "until then. Orders keep the version they were placed with (agreement.offer_version). "
        "Each city network's part is a catalog offer of its own "
        "(city_networks[].catalog_offer_id). "
        "409: another change of this offer won meanwhile; read it and retry."
    ),
    status=200,
    response=OfferDetailOut,
    errors=(404, 409, *BODY_ERRORS),
    body=OfferIn,
    path_params=(OFFER_ID,),
    headers=(IDEMPOTENCY_KEY,),
)
def put_offer(call: Call) -> Response:
    body = call.body_as(OfferIn)
    offer_id = call.params["offer_id"]
    deps = adapters()

    def work() -> Response:
        now = deps.clock.now()
        offer_versions.put_offer(call.provider_id, offer_id, body.content(), deps.catalog, now)
        versions = offer_versions.versions_of(call.provider_id, offer_id, deps.catalog)
        return json_response(200, OfferDetailOut.of(versions, now))

    return idempotent(
        deps.tokens,
        deps.clock,
        call.provider_id,
        call.header(IDEMPOTENCY_KEY.name),
        fingerprint("offer", offer_id, body.model_dump_json()),
        work,
    )


@api.operation(
    "DELETE",
    "/offers/{offer_id}",
    summary="Retire an offer: no new orders; orders placed earlier are unaffected",
    description="A new version with retired true, in force at once; a scheduled change is "
    "superseded. Retiring a retired offer changes nothing. PUT brings it back.",
    status=200,
    response=OfferDetailOut,
    errors=(404, 409),
    path_params=(OFFER_ID,),
)
def retire_offer(call: Call) -> Response:
    deps = adapters()
    now = deps.clock.now()
    offer_id = call.params["offer_id"]
    offer_versions.retire(call.provider_id, offer_id, deps.catalog, now)
    versions = offer_versions.versions_of(call.provider_id, offer_id, deps.catalog)
    return json_response(200, OfferDetailOut.of(versions, now))


@api.operation(
    "GET",
    "/offers/{offer_id}/versions",
    summary="Every version of an offer, oldest first",
    status=200,
    response=OfferVersionListOut,
    errors=(404,),
    path_params=(OFFER_ID,),
)
def list_offer_versions(call: Call) -> Response:
    versions = offer_versions.versions_of(
        call.provider_id, call.params["offer_id"], adapters().catalog
    )
    return json_response(
        200, OfferVersionListOut(items=[OfferOut.from_domain(v) for v in versions])
    )
