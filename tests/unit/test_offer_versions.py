"""The pure rules of offer versions: derived catalog ids and the version in force."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.models import ID_PATTERN, Category, Offer
from chalicelib.domain.offer_versions import catalog_offer_id, in_force, latest_by_id
from chalicelib.domain.provider_offer import PROVIDER_OFFER_ID_PATTERN

NOW = datetime(2027, 1, 1, 12, tzinfo=UTC)
offer_ids = st.from_regex(PROVIDER_OFFER_ID_PATTERN, fullmatch=True)
network_ids = st.from_regex(ID_PATTERN, fullmatch=True)


def version(n: int, valid_from: datetime | None = None, offer_id: str = "o-1") -> Offer:
    return Offer(
        id=offer_id,
        provider_id="tl",
        city_network_id="net",
        service_uid="BB",
        category=Category.INTERNET,
        name="Bredband",
        monthly_price_sek=100 + n,
        binding_months=0,
        version=n,
        valid_from=valid_from,
    )


@given(offer_ids, network_ids)
def test_a_derived_catalog_id_is_a_valid_catalog_id_and_always_the_same(offer_id, network_id):
    derived = catalog_offer_id(offer_id, network_id)
    assert re.fullmatch(ID_PATTERN, derived)
    assert derived == catalog_offer_id(offer_id, network_id)
    # The first "--" tells whose it is: provider offer ids have none.
    assert derived.split("--", 1)[0] == offer_id


@given(offer_ids, network_ids, network_ids)
def test_two_networks_of_one_offer_get_two_catalog_ids(offer_id, first, second):
    if first != second:
        assert catalog_offer_id(offer_id, first) != catalog_offer_id(offer_id, second)


def test_the_newest_version_already_due_is_in_force():
    versions = [version(1), version(2, NOW - timedelta(days=1)), version(3, NOW + timedelta(1))]
    found = in_force(versions, NOW)
    assert found is not None and found.version == 2
    later = in_force(versions, NOW + timedelta(days=2))
    assert later is not None and later.version == 3


def test_a_newer_version_without_valid_from_supersedes_a_scheduled_one():
    versions = [version(1), version(2, NOW + timedelta(days=1)), version(3)]
    found = in_force(versions, NOW + timedelta(days=5))
    assert found is not None and found.version == 3


def test_nothing_is_in_force_before_the_first_version_is_due():
    assert in_force([version(1, NOW + timedelta(hours=1))], NOW) is None
    assert latest_by_id([version(1, NOW + timedelta(hours=1))], NOW) == []
