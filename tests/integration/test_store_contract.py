"""One contract, two stores: every test runs against the in-memory and the DynamoDB store."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.cursor import CursorCodec
from chalicelib.domain.errors import (
    AlreadyExists,
    ConcurrentModification,
    InvalidCursor,
    NotFound,
)
from chalicelib.domain.ids import new_event_id, new_order_id
from chalicelib.domain.models import (
    Activation,
    ActivationState,
    Category,
    CityNetwork,
    Customer,
    LegalIdentity,
    Offer,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    Provider,
    ProviderDocument,
    Service,
)
from chalicelib.domain.ports import (
    ApiKeyRecord,
    ApiKeyStore,
    Catalog,
    Counters,
    OneTimeTokens,
    OrderFilter,
    OrderStore,
)
from tests.fakes import NETWORK_ID, FixedClock

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
_ticks = itertools.count()


@dataclass
class Stores:
    orders: OrderStore
    catalog: Catalog
    api_keys: ApiKeyStore
    tokens: OneTimeTokens
    clock: FixedClock
    codec: CursorCodec
    counters: Counters


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    codec = CursorCodec(b"contract-test-cursor-key-0123456789")
    clock = FixedClock(T0)
    if request.param == "memory":
        from chalicelib.adapters.memory import (
            InMemoryApiKeyStore,
            InMemoryCatalog,
            InMemoryOneTimeTokens,
            InMemoryOrderStore,
        )
        from chalicelib.adapters.memory.counters import InMemoryCounters

        yield Stores(
            InMemoryOrderStore(codec),
            InMemoryCatalog(),
            InMemoryApiKeyStore(),
            InMemoryOneTimeTokens(clock=clock),
            clock,
            codec,
            InMemoryCounters(clock=clock),
        )
        return

    table_name = request.getfixturevalue("table_name")
    from chalicelib.adapters.dynamodb import orders as orders_module
    from chalicelib.adapters.dynamodb.api_keys import DynamoDBApiKeyStore
    from chalicelib.adapters.dynamodb.catalog import DynamoDBCatalog
    from chalicelib.adapters.dynamodb.counters import DynamoDBCounters
    from chalicelib.adapters.dynamodb.orders import DynamoDBOrderStore
    from chalicelib.adapters.dynamodb.tokens import DynamoDBOneTimeTokens
    from tests.aws import table

    # No code path may Scan: make any attempt fail the test loudly (the stores share the
    # connection's one cached client).
    monkeypatch = request.getfixturevalue("monkeypatch")
    the_table = table(table_name)
    client = the_table.client()

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Scan issued against DynamoDB")

    monkeypatch.setattr(client, "scan", no_scan)
    # Read tiny pages under filters so every filtered listing crosses Query pages.
    monkeypatch.setattr(orders_module, "_FILTERED_PAGE", 2)
    yield Stores(
        DynamoDBOrderStore(the_table, codec),
        DynamoDBCatalog(the_table),
        DynamoDBApiKeyStore(the_table),
        DynamoDBOneTimeTokens(the_table, clock=clock),
        clock,
        codec,
        DynamoDBCounters(the_table, clock=clock),
    )


# --- factories -------------------------------------------------------------------------


def make_order(
    provider_id: str = "bredband-ab",
    *,
    at: datetime | None = None,
    status: OrderStatus = OrderStatus.NEW,
    activation_state: ActivationState = ActivationState.PENDING,
) -> Order:
    # A distinct instant per order keeps ULID order equal to creation order.
    at = at or T0 + timedelta(milliseconds=next(_ticks))
    return Order(
        id=new_order_id(at),
        provider_id=provider_id,
        offer_id="bredband-ab-100",
        city_network_id=NETWORK_ID,
        access_id="123-456-ABC",
        identified=True,
        service=Service(uid="BB100100", category=Category.INTERNET, name="Bredband 100"),
        customer=Customer(
            first_name="Anna",
            last_name="Andersson",
            personal_number="199001011234",
            email="anna@example.se",
            phone="+46701234567",
            street_address="Storgatan 1",
            postal_code="12345",
            city="Småstad",
        ),
        details={"speed": 100},
        activation=Activation(state=activation_state, updated_at=at),
        status=status,
        created_at=at,
        updated_at=at,
    )


def make_event(order: Order, at: datetime, text: str = "note") -> OrderEvent:
    return OrderEvent(
        id=new_event_id(at),
        order_id=order.id,
        provider_id=order.provider_id,
        kind=OrderEventKind.MESSAGE,
        at=at,
        actor="system",
        message_type="log",
        text=text,
    )


def created(store: OrderStore, order: Order) -> Order:
    store.create(order, [make_event(order, order.created_at, "created")])
    return order


def page_all(
    store: OrderStore, provider_id: str, limit: int, order_filter: OrderFilter | None = None
) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = store.list_for_provider(
            provider_id, limit=limit, cursor=cursor, filter=order_filter or OrderFilter()
        )
        assert len(page.items) <= limit
        ids += [o.id for o in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


# --- orders ----------------------------------------------------------------------------


def test_created_order_reads_back_equal(stores: Stores) -> None:
    order = created(stores.orders, make_order())

    assert stores.orders.get(order.id) == order
    assert stores.orders.get_for_provider(order.id, "bredband-ab") == order


def test_unknown_order_is_not_found(stores: Stores) -> None:
    with pytest.raises(NotFound):
        stores.orders.get(new_order_id())


def test_creating_the_same_order_twice_is_refused(stores: Stores) -> None:
    order = created(stores.orders, make_order())

    with pytest.raises(AlreadyExists):
        stores.orders.create(order, [])


def test_another_providers_order_looks_exactly_like_an_unknown_one(stores: Stores) -> None:
    order = created(stores.orders, make_order("bredband-ab"))
    unknown_id = new_order_id()

    with pytest.raises(NotFound) as foreign:
        stores.orders.get_for_provider(order.id, "annan-tl")
    with pytest.raises(NotFound) as unknown:
        stores.orders.get_for_provider(unknown_id, "annan-tl")

    assert str(foreign.value) == str(unknown.value).replace(unknown_id, order.id)


def test_replace_with_the_current_version_stores_the_order_and_its_events(
    stores: Stores,
) -> None:
    order = created(stores.orders, make_order())
    later = order.created_at + timedelta(seconds=5)
    received = order.next_version(status=OrderStatus.RECEIVED, updated_at=later)

    stores.orders.replace(received, 1, [make_event(order, later, "received")])

    assert stores.orders.get(order.id) == received
    assert [e.text for e in stores.orders.list_events(order.id)] == ["created", "received"]


def test_replace_with_a_stale_version_is_refused_and_stores_none_of_its_events(
    stores: Stores,
) -> None:
    # Given an order someone else already moved to version 2
    order = created(stores.orders, make_order())
    t1 = order.created_at + timedelta(seconds=1)
    stores.orders.replace(order.next_version(status=OrderStatus.RECEIVED, updated_at=t1), 1, [])
    # When a writer that still holds version 1 writes
    t2 = order.created_at + timedelta(seconds=2)
    stale = order.next_version(status=OrderStatus.CANCELLED, updated_at=t2)
    with pytest.raises(ConcurrentModification):
        stores.orders.replace(stale, 1, [make_event(order, t2, "lost write")])
    # Then neither the order nor the lost write's events changed
    assert stores.orders.get(order.id).status == OrderStatus.RECEIVED
    assert [e.text for e in stores.orders.list_events(order.id)] == ["created"]


def test_replace_of_an_unknown_order_is_not_found(stores: Stores) -> None:
    order = make_order()

    with pytest.raises(NotFound):
        stores.orders.replace(order.next_version(), 1, [])


def test_events_are_listed_oldest_first(stores: Stores) -> None:
    order = make_order()
    times = [order.created_at + timedelta(seconds=s) for s in (0, 1, 2, 3)]
    stores.orders.create(order, [make_event(order, times[0], "a")])
    # Appended out of order on purpose: the listing sorts by event id (time).
    stores.orders.append_events([make_event(order, times[2], "c")])
    stores.orders.append_events(
        [make_event(order, times[1], "b"), make_event(order, times[3], "d")]
    )

    assert [e.text for e in stores.orders.list_events(order.id)] == ["a", "b", "c", "d"]


def test_events_of_an_order_without_events_are_empty(stores: Stores) -> None:
    assert stores.orders.list_events(new_order_id()) == []


def test_listing_pages_newest_first(stores: Stores) -> None:
    orders = [created(stores.orders, make_order()) for _ in range(5)]
    created(stores.orders, make_order("annan-tl"))

    page = stores.orders.list_for_provider(
        "bredband-ab", limit=3, cursor=None, filter=OrderFilter()
    )

    assert [o.id for o in page.items] == [o.id for o in reversed(orders)][:3]
    assert page.next_cursor is not None
    assert page_all(stores.orders, "bredband-ab", 3) == [o.id for o in reversed(orders)]


def test_paging_sees_every_order_once_while_new_orders_arrive(stores: Stores) -> None:
    # Given 25 orders
    originals = [created(stores.orders, make_order()) for _ in range(25)]
    # When paging 10 at a time while 5 new orders are created after the first page
    first = stores.orders.list_for_provider(
        "bredband-ab", limit=10, cursor=None, filter=OrderFilter()
    )
    seen = [o.id for o in first.items]
    for _ in range(5):
        created(stores.orders, make_order())
    cursor = first.next_cursor
    while cursor is not None:
        page = stores.orders.list_for_provider(
            "bredband-ab", limit=10, cursor=cursor, filter=OrderFilter()
        )
        seen += [o.id for o in page.items]
        cursor = page.next_cursor
    # Then every original order came exactly once, newest first, and nothing else
    assert seen == [o.id for o in reversed(originals)]


def test_filters_hold_across_pages(stores: Stores) -> None:
    wanted = []
    for i in range(14):
        status = OrderStatus.RECEIVED if i % 3 == 0 else OrderStatus.NEW
        state = ActivationState.REFUSED if i % 2 == 0 else ActivationState.ACTIVATED
        order = created(stores.orders, make_order(status=status, activation_state=state))
        if status == OrderStatus.RECEIVED and state == ActivationState.REFUSED:
            wanted.append(order.id)
    by_status = OrderFilter(status=OrderStatus.RECEIVED)
    both = OrderFilter(status=OrderStatus.RECEIVED, activation_state=ActivationState.REFUSED)

    assert len(page_all(stores.orders, "bredband-ab", 2, by_status)) == 5
    assert (
        len(
            page_all(
                stores.orders,
                "bredband-ab",
                2,
                OrderFilter(activation_state=ActivationState.ACTIVATED),
            )
        )
        == 7
    )
    assert page_all(stores.orders, "bredband-ab", 1, both) == list(reversed(wanted))


def test_a_tampered_cursor_is_refused(stores: Stores) -> None:
    for _ in range(3):
        created(stores.orders, make_order())
    cursor = stores.orders.list_for_provider(
        "bredband-ab", limit=1, cursor=None, filter=OrderFilter()
    ).next_cursor
    assert cursor is not None
    body, _, mac = cursor.partition(".")
    position = stores.codec.decode("bredband-ab", cursor)
    other_body = stores.codec.encode("bredband-ab", {**position, "after": "ord_Z"}).split(".")[0]
    wrong_key = CursorCodec(b"an attacker's guess at the key!!").encode("bredband-ab", position)

    for bad in (other_body + "." + mac, cursor[:-3], "not a cursor", wrong_key, body):
        with pytest.raises(InvalidCursor):
            stores.orders.list_for_provider(
                "bredband-ab", limit=1, cursor=bad, filter=OrderFilter()
            )


def test_another_providers_cursor_is_refused(stores: Stores) -> None:
    for _ in range(3):
        created(stores.orders, make_order("bredband-ab"))
    cursor = stores.orders.list_for_provider(
        "bredband-ab", limit=1, cursor=None, filter=OrderFilter()
    ).next_cursor
    assert cursor is not None

    with pytest.raises(InvalidCursor):
        stores.orders.list_for_provider("annan-tl", limit=1, cursor=cursor, filter=OrderFilter())


def test_a_listing_cursor_is_not_a_change_feed_cursor(stores: Stores) -> None:
    for _ in range(3):
        created(stores.orders, make_order())
    cursor = stores.orders.list_for_provider(
        "bredband-ab", limit=1, cursor=None, filter=OrderFilter()
    ).next_cursor

    with pytest.raises(InvalidCursor):
        stores.orders.changed_since("bredband-ab", T0, limit=1, cursor=cursor)


def test_changed_since_lists_orders_updated_after_the_instant_oldest_first_in_pages(
    stores: Stores,
) -> None:
    # Given orders created at T0 + 0..5 s and two of the early ones updated later
    orders = [created(stores.orders, make_order(at=T0 + timedelta(seconds=s))) for s in range(6)]
    created(stores.orders, make_order("annan-tl", at=T0 + timedelta(seconds=9)))
    since = T0 + timedelta(seconds=2)  # exactly orders[2]'s update: not "after"
    for order, late in ((orders[0], 10), (orders[1], 7)):
        stores.orders.replace(
            order.next_version(
                status=OrderStatus.RECEIVED, updated_at=T0 + timedelta(seconds=late)
            ),
            1,
            [],
        )
    # When the feed is read two at a time
    ids: list[str] = []
    cursor = None
    while True:
        page = stores.orders.changed_since("bredband-ab", since, limit=2, cursor=cursor)
        assert len(page.items) <= 2
        ids += [o.id for o in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    # Then it holds exactly the later changes, oldest change first
    assert ids == [orders[3].id, orders[4].id, orders[5].id, orders[1].id, orders[0].id]


def test_changed_since_refuses_another_providers_cursor(stores: Stores) -> None:
    for s in range(3):
        created(stores.orders, make_order(at=T0 + timedelta(seconds=s + 1)))
    cursor = stores.orders.changed_since("bredband-ab", T0, limit=1, cursor=None).next_cursor
    assert cursor is not None

    with pytest.raises(InvalidCursor):
        stores.orders.changed_since("annan-tl", T0, limit=1, cursor=cursor)


# --- catalog ---------------------------------------------------------------------------


def make_offer(offer_id: str, provider_id: str, city_network_id: str) -> Offer:
    return Offer(
        id=offer_id,
        provider_id=provider_id,
        city_network_id=city_network_id,
        service_uid="BB100100",
        category=Category.INTERNET,
        name="Bredband 100/100",
        monthly_price_sek=299,
        binding_months=0,
    )


def make_city_network(city_network_id: str) -> CityNetwork:
    return CityNetwork(
        id=city_network_id,
        name="Demo stadsnät",
        api_url="https://ko.example/api",
        bounce_url="https://ko.example/bounce",
        ip_ranges=("10.0.0.0/8",),
        credentials_ref=f"citynet/{city_network_id}",
    )


def test_catalog_round_trips_and_upserts(stores: Stores) -> None:
    catalog = stores.catalog
    catalog.put_provider(Provider(id="bredband-ab", name="Bredband AB"))
    catalog.put_provider(Provider(id="bredband-ab", name="Bredband AB (nytt namn)"))
    catalog.put_city_network(make_city_network(NETWORK_ID))
    offer = make_offer("bb-100", "bredband-ab", NETWORK_ID)
    catalog.put_offer(offer)

    assert catalog.get_provider("bredband-ab").name == "Bredband AB (nytt namn)"
    assert catalog.get_city_network(NETWORK_ID) == make_city_network(NETWORK_ID)
    assert catalog.get_offer("bb-100") == offer


@pytest.mark.parametrize("getter", ["get_provider", "get_city_network", "get_offer"])
def test_unknown_catalog_entries_are_not_found(stores: Stores, getter: str) -> None:
    with pytest.raises(NotFound):
        getattr(stores.catalog, getter)("finns-inte")


def test_catalog_listings_are_sorted_by_id(stores: Stores) -> None:
    catalog = stores.catalog
    for pid in ("tl-c", "tl-a", "tl-b"):
        catalog.put_provider(Provider(id=pid, name=pid.upper()))
    for cn in ("cn-b", "cn-a"):
        catalog.put_city_network(make_city_network(cn))
    for offer_id, pid, cn in (
        ("o-3", "tl-a", "cn-a"),
        ("o-1", "tl-b", "cn-a"),
        ("o-2", "tl-a", "cn-b"),
        ("o-4", "tl-a", "cn-a"),
    ):
        catalog.put_offer(make_offer(offer_id, pid, cn))

    assert [p.id for p in catalog.list_providers()] == ["tl-a", "tl-b", "tl-c"]
    assert [c.id for c in catalog.list_city_networks()] == ["cn-a", "cn-b"]
    assert [o.id for o in catalog.offers_in_city_network("cn-a")] == ["o-1", "o-3", "o-4"]
    assert [o.id for o in catalog.offers_of_provider("tl-a")] == ["o-2", "o-3", "o-4"]
    assert catalog.offers_in_city_network("cn-x") == []


def test_an_offer_moved_to_another_city_network_is_listed_only_there(stores: Stores) -> None:
    stores.catalog.put_offer(make_offer("o-1", "tl-a", "cn-a"))
    stores.catalog.put_offer(make_offer("o-1", "tl-b", "cn-b"))

    assert stores.catalog.offers_in_city_network("cn-a") == []
    assert [o.id for o in stores.catalog.offers_in_city_network("cn-b")] == ["o-1"]
    assert stores.catalog.offers_of_provider("tl-a") == []
    assert [o.id for o in stores.catalog.offers_of_provider("tl-b")] == ["o-1"]


def test_a_providers_legal_identity_and_an_offers_whole_price_round_trip(stores: Stores) -> None:
    identity = LegalIdentity(
        company_name="Bredband AB",
        organisation_number="556000-0001",
        address="Storgatan 1, 111 51 Stockholm",
        email="kundservice@bredband.example",
        phone="+46 8 123 456 00",
    )
    stores.catalog.put_provider(
        Provider(id="bredband-ab", name="Bredband AB", legal_identity=identity)
    )
    offer = make_offer("bb-100", "bredband-ab", NETWORK_ID).model_copy(
        update={"start_fee_sek": 495, "notice_months": 0, "download_mbit": 100}
    )
    offer = Offer.model_validate(
        {**offer.model_dump(), "campaign": {"monthly_price_sek": 199, "months": 6}}
    )
    stores.catalog.put_offer(offer)

    assert stores.catalog.get_provider("bredband-ab").legal_identity == identity
    assert stores.catalog.get_offer("bb-100") == offer


def make_document(
    version: int, kind: str = "terms", provider_id: str = "bredband-ab"
) -> ProviderDocument:
    return ProviderDocument.model_validate(
        {
            "provider_id": provider_id,
            "kind": kind,
            "version": version,
            "text": f"{kind} version {version}",
            "content_sha256": f"{version:064x}",
            "created_at": T0 + timedelta(minutes=version),
        }
    )


def test_document_versions_are_listed_oldest_first_and_the_newest_is_current(
    stores: Stores,
) -> None:
    catalog = stores.catalog
    # Stored out of order, and past 9: the listing orders by number, not by text
    for version in (2, 10, 1):
        catalog.add_document(make_document(version))
    catalog.add_document(make_document(1, kind="privacy"))
    catalog.add_document(make_document(5, provider_id="annan-tl"))

    assert [d.version for d in catalog.documents("bredband-ab", "terms")] == [1, 2, 10]
    assert catalog.documents("bredband-ab", "terms")[0] == make_document(1)
    assert catalog.current_document("bredband-ab", "terms") == make_document(10)
    assert catalog.current_document("bredband-ab", "privacy") == make_document(1, kind="privacy")
    assert [d.version for d in catalog.documents("annan-tl", "terms")] == [5]


def test_a_stored_document_version_is_never_replaced(stores: Stores) -> None:
    stores.catalog.add_document(make_document(1))
    changed = make_document(1).model_copy(update={"text": "changed", "content_sha256": "f" * 64})

    with pytest.raises(AlreadyExists):
        stores.catalog.add_document(changed)
    assert stores.catalog.documents("bredband-ab", "terms") == [make_document(1)]


def test_a_provider_without_documents_has_none_current(stores: Stores) -> None:
    assert stores.catalog.documents("bredband-ab", "terms") == []
    assert stores.catalog.current_document("bredband-ab", "privacy") is None


# --- API keys --------------------------------------------------------------------------


def make_key(key_id: str, provider_id: str = "bredband-ab") -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=key_id,
        key_hash=(key_id.encode().hex() * 64)[:64],
        provider_id=provider_id,
        label=f"key {key_id}",
        created_at=T0,
    )


def test_api_keys_are_found_by_hash_and_listed_per_provider(stores: Stores) -> None:
    keys = stores.api_keys
    first, second, foreign = make_key("k2"), make_key("k1"), make_key("k3", "annan-tl")
    for record in (first, second, foreign):
        keys.add_key(record)

    assert keys.find_by_hash(first.key_hash) == first
    assert keys.find_by_hash("0" * 64) is None
    assert keys.keys_of_provider("bredband-ab") == [second, first]
    assert keys.keys_of_provider("nobody") == []


def test_adding_a_key_twice_is_refused(stores: Stores) -> None:
    stores.api_keys.add_key(make_key("k1"))

    with pytest.raises(AlreadyExists):
        stores.api_keys.add_key(make_key("k1"))


def test_a_revoked_key_carries_its_revocation_time(stores: Stores) -> None:
    record = make_key("k1")
    stores.api_keys.add_key(record)
    at = T0 + timedelta(days=1)

    stores.api_keys.revoke("bredband-ab", "k1", at)

    found = stores.api_keys.find_by_hash(record.key_hash)
    assert found is not None and found.revoked_at == at
    assert stores.api_keys.keys_of_provider("bredband-ab")[0].revoked_at == at


def test_a_provider_cannot_revoke_another_providers_key(stores: Stores) -> None:
    record = make_key("k1", "annan-tl")
    stores.api_keys.add_key(record)

    with pytest.raises(NotFound):
        stores.api_keys.revoke("bredband-ab", "k1", T0)
    with pytest.raises(NotFound):
        stores.api_keys.revoke("bredband-ab", "unknown", T0)

    found = stores.api_keys.find_by_hash(record.key_hash)
    assert found is not None and found.revoked_at is None


# --- one-time tokens -------------------------------------------------------------------


def test_a_token_is_claimed_once(stores: Stores) -> None:
    expires = T0 + timedelta(minutes=5)

    assert stores.tokens.claim("nonce-1", expires) is True
    assert stores.tokens.claim("nonce-1", expires) is False
    assert stores.tokens.claim("nonce-2", expires) is True


def test_an_expired_token_can_be_claimed_again(stores: Stores) -> None:
    stores.tokens.claim("nonce-1", T0 + timedelta(minutes=5), {"n": 1})

    stores.clock.at = T0 + timedelta(minutes=5, seconds=1)

    assert stores.tokens.get("nonce-1") is None
    assert stores.tokens.claim("nonce-1", T0 + timedelta(minutes=10), {"n": 2}) is True
    assert stores.tokens.get("nonce-1") == {"n": 2}


def test_a_token_keeps_its_value_until_it_expires(stores: Stores) -> None:
    tokens = stores.tokens
    tokens.claim("idem-1", T0 + timedelta(minutes=5))
    assert tokens.get("idem-1") is None

    tokens.put_value("idem-1", {"order_id": "ord_1", "nested": {"ok": True}})

    assert tokens.get("idem-1") == {"order_id": "ord_1", "nested": {"ok": True}}
    stores.clock.at = T0 + timedelta(minutes=6)
    assert tokens.get("idem-1") is None
    assert tokens.get("never-claimed") is None


def test_a_value_cannot_be_put_on_an_unclaimed_token(stores: Stores) -> None:
    with pytest.raises(NotFound):
        stores.tokens.put_value("never-claimed", {"a": 1})


# --- counters --------------------------------------------------------------------------


def test_a_counter_counts_up_to_its_limit_and_no_further(stores: Stores) -> None:
    ends = T0 + timedelta(hours=1)
    counted = [stores.counters.count("orders:a", limit=3, expires_at=ends) for _ in range(5)]
    assert counted == [True, True, True, False, False]
    assert stores.counters.count("orders:b", limit=3, expires_at=ends) is True


def test_a_counter_starts_afresh_after_it_expires_and_not_before(stores: Stores) -> None:
    # Given a counter at its limit, started at T0 to run for an hour
    counters = stores.counters
    assert counters.count("orders:a", limit=1, expires_at=T0 + timedelta(hours=1))
    # When later counts ask for a later end, the first end still holds
    stores.clock.at = T0 + timedelta(minutes=59)
    assert not counters.count("orders:a", limit=1, expires_at=T0 + timedelta(hours=2))
    # Then once it has run out it counts again, for a new hour
    stores.clock.at = T0 + timedelta(hours=1, seconds=1)
    assert counters.count("orders:a", limit=1, expires_at=stores.clock.at + timedelta(hours=1))
    assert not counters.count("orders:a", limit=1, expires_at=stores.clock.at + timedelta(hours=1))


def test_counts_at_the_same_time_never_pass_the_limit(stores: Stores) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ends = T0 + timedelta(hours=1)

    def one(_: int) -> bool:
        return stores.counters.count("orders:a", limit=5, expires_at=ends)

    with ThreadPoolExecutor(max_workers=8) as pool:
        counted = list(pool.map(one, range(16)))
    assert counted.count(True) == 5


def test_a_counter_with_no_room_counts_nothing(stores: Stores) -> None:
    assert stores.counters.count("orders:a", limit=0, expires_at=T0 + timedelta(hours=1)) is False


def test_a_counter_and_a_token_of_the_same_key_are_apart(stores: Stores) -> None:
    ends = T0 + timedelta(hours=1)
    assert stores.tokens.claim("orders:a", ends) is True
    assert stores.counters.count("orders:a", limit=1, expires_at=ends) is True
    assert stores.tokens.claim("orders:a", ends) is False


# --- DynamoDB only ---------------------------------------------------------------------


@pytest.mark.parametrize("stores", ["dynamodb"], indirect=True)
def test_the_scan_guard_is_armed(stores: Stores) -> None:
    from tests.aws import dynamodb_client

    with pytest.raises(AssertionError, match="Scan"):
        dynamodb_client().scan(TableName="any")


def test_create_table_is_idempotent_and_enables_ttl(table_name: str) -> None:
    from chalicelib.adapters.dynamodb.schema import (
        INDEX_PROVIDER_ORDERS,
        INDEX_PROVIDER_UPDATES,
        TTL_ATTRIBUTE,
        create_table,
    )
    from tests.aws import dynamodb_client, table

    create_table(table(table_name))  # a second time: no error

    client = dynamodb_client()
    table = client.describe_table(TableName=table_name)["Table"]
    ttl = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {i["IndexName"] for i in table["GlobalSecondaryIndexes"]}
    assert {INDEX_PROVIDER_ORDERS, INDEX_PROVIDER_UPDATES} <= indexes
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": TTL_ATTRIBUTE}
