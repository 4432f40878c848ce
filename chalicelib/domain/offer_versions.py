"""Offers the provider manages itself (provider API `/offers`): versions, scheduling,
retirement and the catalog offers they become.

One provider offer sold in N city networks is N catalog offers, one per network, with ids
derived from the offer's id (`catalog_offer_id`); a network that already had a catalog offer
for it (an offer loaded by the operator before, whose id is the offer's id) keeps that id, so
its customer links and orders stay valid. Every change is a new version of the provider offer
and of each of its catalog offers, with the same number: `agreement.offer_version` names it.

Which version customers see: the newest version whose `valid_from` has come (`in_force`).
A version scheduled for later waits while the one before it stays in force; a newer version
without `valid_from` (or a retirement) supersedes a scheduled one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from .errors import InvalidInput, NotFound
from .models import Campaign, Category, Offer
from .ports import Catalog
from .provider_offer import PROVIDER_OFFER_ID_PATTERN, OfferNetwork, ProviderOffer

_ID_MAX = 63


class OfferContent(BaseModel):
    """What the provider says about an offer (the API body, validated there)."""

    name: str
    category: Category
    city_networks: tuple[tuple[str, str], ...]  # (city_network_id, service_uid)
    monthly_price_sek: int
    start_fee_sek: int = 0
    binding_months: int = 0
    notice_months: int = 1
    campaign: Campaign | None = None
    valid_from: dt.datetime | None = None
    download_mbit: int | None = None
    upload_mbit: int | None = None


def catalog_offer_id(offer_id: str, city_network_id: str) -> str:
    """`<offer id>--<city network id>`, or a digest of the network's id when that is too
    long for a catalog id; the same inputs always give the same id."""
    joined = f"{offer_id}--{city_network_id}"
    if len(joined) <= _ID_MAX:
        return joined
    return f"{offer_id}--{hashlib.sha256(city_network_id.encode()).hexdigest()[:16]}"


def in_force(versions: Iterable[Offer], now: dt.datetime) -> Offer | None:
    """The newest version (highest number) whose `valid_from` is not after `now`."""
    due = [v for v in versions if v.valid_from is None or v.valid_from <= now]
    return max(due, key=lambda v: v.version) if due else None


def latest_by_id(versions: Iterable[Offer], now: dt.datetime) -> list[Offer]:
    """Each catalog offer's version in force, sorted by id."""
    by_id: dict[str, list[Offer]] = {}
    for v in versions:
        by_id.setdefault(v.id, []).append(v)
    found = (in_force(vs, now) for vs in by_id.values())
    return sorted((o for o in found if o is not None), key=lambda o: o.id)


def _legacy(offer_id: str, catalog: Catalog) -> Offer | None:
    """A catalog offer with this id that no provider offer made (loaded by the operator)."""
    try:
        return catalog.get_offer(offer_id)
    except NotFound:
        return None


def versions_of(provider_id: str, offer_id: str, catalog: Catalog) -> list[ProviderOffer]:
    """The provider's versions of `offer_id`, oldest first. NotFound if the offer is another
    provider's or does not exist: both look the same to the caller."""
    versions = catalog.provider_offer_versions(offer_id)
    if versions:
        if versions[0].provider_id != provider_id:
            raise NotFound(f"offer {offer_id} not found")
        return versions
    legacy = _legacy(offer_id, catalog)
    if legacy is None or legacy.provider_id != provider_id:
        raise NotFound(f"offer {offer_id} not found")
    return [as_provider_offer(legacy)]


def as_provider_offer(offer: Offer) -> ProviderOffer:
    """An operator-loaded catalog offer seen as a provider offer of one city network."""
    return ProviderOffer(
        id=offer.id,
        provider_id=offer.provider_id,
        version=offer.version,
        name=offer.name,
        category=offer.category,
        city_networks=(
            OfferNetwork(
                city_network_id=offer.city_network_id,
                service_uid=offer.service_uid,
                catalog_offer_id=offer.id,
            ),
        ),
        monthly_price_sek=offer.monthly_price_sek,
        start_fee_sek=offer.start_fee_sek,
        binding_months=offer.binding_months,
        notice_months=offer.notice_months,
        campaign=offer.campaign,
        valid_from=offer.valid_from,
        download_mbit=offer.download_mbit,
        upload_mbit=offer.upload_mbit,
        retired=offer.retired,
        created_at=offer.valid_from or dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        extension_form_id=offer.extension_form_id,
    )


def list_offers(provider_id: str, catalog: Catalog) -> list[ProviderOffer]:
    """The newest version of each of the provider's offers, by id; operator-loaded catalog
    offers that no provider offer made are listed as offers of one city network."""
    managed = catalog.provider_offers(provider_id)
    made = {n.catalog_offer_id for o in managed for n in o.city_networks}
    made |= {d for o in managed for d in o.dropped} | {o.id for o in managed}
    legacy = [
        as_provider_offer(o) for o in catalog.offers_of_provider(provider_id) if o.id not in made
    ]
    return sorted([*managed, *legacy], key=lambda o: o.id)


def _field_error(loc: list[Any], message: str, kind: str) -> dict[str, Any]:
    return {
        "field": ".".join(str(p) for p in loc),
        "loc": loc,
        "message": message,
        "type": kind,
    }


def check_content(offer_id: str, content: OfferContent, catalog: Catalog, *, new: bool) -> None:
    """What the body's schema cannot say: a new offer's id, city networks that exist and are
    named once. The service_uid is checked for format only: neither protocol lists the
    services a network sells (docs/provider-guide.md)."""
    errors = []
    # An existing (maybe operator-loaded) offer keeps its id whatever its form.
    if new and not re.fullmatch(PROVIDER_OFFER_ID_PATTERN, offer_id):
        errors.append(
            _field_error(
                ["path", "offer_id"],
                "a new offer's id is 2 to 40 of a-z, 0-9 and single hyphens",
                "offer_id_pattern",
            )
        )
    seen: set[str] = set()
    for i, (network_id, _uid) in enumerate(content.city_networks):
        loc = ["body", "city_networks", i, "city_network_id"]
        if network_id in seen:
            errors.append(_field_error(loc, "this city network is named twice", "duplicate"))
            continue
        seen.add(network_id)
        try:
            catalog.get_city_network(network_id)
        except NotFound:
            errors.append(_field_error(loc, "no such city network", "unknown_city_network"))
    if errors:
        raise InvalidInput("the offer has invalid fields", details=errors)


def _same_content(latest: ProviderOffer, content: OfferContent) -> bool:
    return not latest.retired and _content_of(latest).model_dump() == content.model_dump()


def _content_of(offer: ProviderOffer) -> OfferContent:
    return OfferContent(
        name=offer.name,
        category=offer.category,
        city_networks=tuple((n.city_network_id, n.service_uid) for n in offer.city_networks),
        monthly_price_sek=offer.monthly_price_sek,
        start_fee_sek=offer.start_fee_sek,
        binding_months=offer.binding_months,
        notice_months=offer.notice_months,
        campaign=offer.campaign,
        valid_from=offer.valid_from,
        download_mbit=offer.download_mbit,
        upload_mbit=offer.upload_mbit,
    )


def _check_catalog_ids(provider_id: str, ids: Sequence[str], catalog: Catalog) -> None:
    # A derived id an operator gave another provider's offer: never take it over.
    for catalog_id in ids:
        existing = _legacy(catalog_id, catalog)
        if existing is not None and existing.provider_id != provider_id:
            raise InvalidInput(
                "the offer id cannot be used",
                details=[_field_error(["path", "offer_id"], "choose another offer id", "taken")],
            )


def put_offer(
    provider_id: str, offer_id: str, content: OfferContent, catalog: Catalog, now: dt.datetime
) -> tuple[ProviderOffer, bool]:
    """Create or replace: a new version unless `content` is what the newest version says
    (then nothing changes: a repeated PUT is harmless). Returns (newest version, created)."""
    try:
        previous: list[ProviderOffer] = versions_of(provider_id, offer_id, catalog)
    except NotFound:
        if catalog.provider_offer_versions(offer_id) or _legacy(offer_id, catalog):
            raise  # another provider's: a 404 that changes nothing
        previous = []
    check_content(offer_id, content, catalog, new=not previous)
    latest = previous[-1] if previous else None
    if latest is not None and _same_content(latest, content):
        return latest, False
    earlier = {
        n.city_network_id: n.catalog_offer_id for n in (latest.city_networks if latest else ())
    }
    networks = tuple(
        OfferNetwork(
            city_network_id=network_id,
            service_uid=uid,
            catalog_offer_id=earlier.get(network_id) or catalog_offer_id(offer_id, network_id),
        )
        for network_id, uid in content.city_networks
    )
    new_ids = [n.catalog_offer_id for n in networks if n.city_network_id not in earlier]
    _check_catalog_ids(provider_id, new_ids, catalog)
    kept = {n.catalog_offer_id for n in networks}
    dropped = tuple(sorted({*(latest.dropped if latest else ()), *earlier.values()} - kept))
    version = ProviderOffer(
        id=offer_id,
        provider_id=provider_id,
        version=(latest.version + 1) if latest else 1,
        name=content.name,
        category=content.category,
        city_networks=networks,
        monthly_price_sek=content.monthly_price_sek,
        start_fee_sek=content.start_fee_sek,
        binding_months=content.binding_months,
        notice_months=content.notice_months,
        campaign=content.campaign,
        valid_from=content.valid_from,
        download_mbit=content.download_mbit,
        upload_mbit=content.upload_mbit,
        created_at=now,
        dropped=dropped,
        extension_form_id=latest.extension_form_id if latest else None,
    )
    newly_dropped = set(earlier.values()) - kept
    catalog.publish_offer(version, catalog_offers(version, latest, newly_dropped))
    return version, True


def retire(provider_id: str, offer_id: str, catalog: Catalog, now: dt.datetime) -> ProviderOffer:
    """No new orders from now on; orders placed earlier keep their agreement. A version
    scheduled for later is superseded. Retiring a retired offer changes nothing."""
    latest = versions_of(provider_id, offer_id, catalog)[-1]
    if latest.retired:
        return latest
    version = latest.model_copy(
        update={
            "version": latest.version + 1,
            "retired": True,
            "valid_from": now,
            "created_at": now,
        }
    )
    catalog.publish_offer(version, catalog_offers(version, latest, set()))
    return version


def catalog_offers(
    version: ProviderOffer, previous: ProviderOffer | None, dropped: set[str]
) -> list[Offer]:
    """The catalog offers this version is, one per city network, plus a retired version of
    each catalog offer of a network the offer no longer lists."""
    made = [
        Offer(
            id=n.catalog_offer_id,
            provider_id=version.provider_id,
            city_network_id=n.city_network_id,
            service_uid=n.service_uid,
            category=version.category,
            name=version.name,
            monthly_price_sek=version.monthly_price_sek,
            start_fee_sek=version.start_fee_sek,
            binding_months=version.binding_months,
            notice_months=version.notice_months,
            campaign=version.campaign,
            download_mbit=version.download_mbit,
            upload_mbit=version.upload_mbit,
            extension_form_id=version.extension_form_id,
            version=version.version,
            valid_from=version.valid_from,
            retired=version.retired,
        )
        for n in version.city_networks
    ]
    for n in previous.city_networks if previous else ():
        if n.catalog_offer_id in dropped:
            made.append(
                Offer(
                    id=n.catalog_offer_id,
                    provider_id=version.provider_id,
                    city_network_id=n.city_network_id,
                    service_uid=n.service_uid,
                    category=previous.category if previous else version.category,
                    name=version.name,
                    monthly_price_sek=version.monthly_price_sek,
                    binding_months=version.binding_months,
                    version=version.version,
                    valid_from=version.valid_from,
                    retired=True,
                )
            )
    return made


def in_force_version(versions: Sequence[ProviderOffer], now: dt.datetime) -> int | None:
    due = [v for v in versions if v.valid_from is None or v.valid_from <= now]
    return max(v.version for v in due) if due else None


def managed_through_the_api(offer_id: str, catalog: Catalog) -> bool:
    """A catalog offer its provider manages through `/tl/v1/offers` (its own id, or one
    derived from an API offer id): the operator's files must not write its versions."""
    api_offer_id = offer_id.split("--", 1)[0]
    return bool(catalog.provider_offer_versions(api_offer_id))


def put_operator_offer(offer: Offer, catalog: Catalog) -> Offer:
    """An offer from the operator's file as a new version on top of what is stored: a stored
    version is never overwritten (orders name the version they were placed under), and a
    file loaded again unchanged stores nothing."""
    stored = catalog.offer_versions(offer.id)
    if not stored:
        catalog.put_offer(offer)
        return offer
    newest = max(stored, key=lambda o: o.version)
    if newest.model_dump(exclude={"version"}) == offer.model_dump(exclude={"version"}):
        return newest
    placed = offer.model_copy(update={"version": newest.version + 1})
    catalog.put_offer(placed)
    return placed
