"""Customer mail: which events give a mail, what the mails say, and sending once per event
with retries, with in-memory adapters and an in-memory mailer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from chalice.test import Client

from chalicelib.adapters.memory.mailer import InMemoryMailer
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.models import (
    Activation,
    ActivationState,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from chalicelib.domain.notifications import (
    Mail,
    MailerUnavailable,
    MailKind,
    MailRejected,
    NotificationMessage,
    mail_kind_for,
    notification_for,
    queue_notification,
    send_notification,
    sent_key,
)
from chalicelib.domain.ordering import Access, OrderRequest, check_deliverable
from chalicelib.domain.provider_orders import change_status
from chalicelib.domain.retry import RetrySchedule
from chalicelib.settings import Settings
from chalicelib.web.mail import MailTemplates
from chalicelib.web.session import receipt_token_matches
from tests.fakes import FakeCityNetworks, FixedClock, a_customer, not_deliverable, seed_test_catalog
from tests.mail_orders import (
    PRIVACY_SHA,
    PROVIDER_IDENTITY,
    SUMMARY_SHA,
    TERMS_SHA,
    an_agreement,
    give_provider_identity,
    place_with_agreement,
)

ACCESS = Access(city_network_id="test-stadsnat", access_id="ACC-123-OK")
BASE_URL = "https://bestall.example"
EMAIL = "anna@example.se"


@dataclass
class FlakyMailer:
    """Raises `error` for the first `failures` sends, then keeps what it is given."""

    failures: int = 0
    error: type[Exception] = MailerUnavailable
    inner: InMemoryMailer = field(default_factory=InMemoryMailer)
    tries: int = 0

    def send(self, mail: Mail) -> str:
        self.tries += 1
        if self.tries <= self.failures:
            raise self.error("SES Throttling")
        return self.inner.send(mail)


@pytest.fixture
def city() -> FakeCityNetworks:
    return FakeCityNetworks()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def deps(city: FakeCityNetworks, clock: FixedClock) -> InMemoryAdapters:
    adapters = InMemoryAdapters(
        city_networks=city,
        clock=clock,
        notification_retries=RetrySchedule(waits_s=(10, 60, 1200), jitter=0),
    )
    seed_test_catalog(adapters.catalog)
    give_provider_identity(adapters.catalog, "test-tl")
    return adapters


@pytest.fixture
def composer(deps: InMemoryAdapters) -> MailTemplates:
    return MailTemplates(deps.signing_key, BASE_URL)


def an_order(**fields: object) -> OrderRequest:
    return OrderRequest.model_validate(
        {"offer_id": "tl-internet-100", "customer": a_customer(email=EMAIL), **fields}
    )


def relay_order(deps: InMemoryAdapters, order_id: str) -> None:
    for event in deps.orders.list_events(order_id):
        queue_notification(event, deps)


def work_queue(deps: InMemoryAdapters, composer: MailTemplates) -> list[str]:
    """Run the notification worker over everything queued, as often as it requeues."""
    results = []
    for _ in range(20):
        taken = deps.notification_queue.take()  # type: ignore[attr-defined]
        if not taken:
            break
        for message, _delay in taken:
            results.append(send_notification(message, deps, composer))
    return results


def mails(deps: InMemoryAdapters) -> list[Mail]:
    mailer = deps.mailer
    if isinstance(mailer, FlakyMailer):
        return mailer.inner.mails
    assert isinstance(mailer, InMemoryMailer)
    return mailer.mails


def an_event(kind: OrderEventKind, **fields: object) -> OrderEvent:
    return OrderEvent.model_validate(
        {
            "id": "evt_01JDTEST00000000000000000A",
            "order_id": "ord_01JDTEST00000000000000000A",
            "provider_id": "test-tl",
            "kind": kind,
            "at": "2026-11-26T09:00:00+00:00",
            "actor": "system",
            **fields,
        }
    )


# --- which events ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        (OrderEventKind.ORDER_CREATED, {}, MailKind.CONFIRMATION),
        (OrderEventKind.ACTIVATION_CHANGED, {"activation_state": "activated"}, "update"),
        (OrderEventKind.ACTIVATION_CHANGED, {"activation_state": "scheduled"}, "update"),
        (OrderEventKind.ACTIVATION_CHANGED, {"activation_state": "refused"}, "update"),
        (OrderEventKind.ACTIVATION_CHANGED, {"activation_state": "failed"}, "update"),
        (OrderEventKind.ACTIVATION_CHANGED, {"activation_state": "pending"}, None),
        (OrderEventKind.WITHDRAWN, {"actor": "customer"}, MailKind.WITHDRAWAL),
        (
            OrderEventKind.STATUS_CHANGED,
            {"actor": "provider:test-tl", "status_from": "new", "status_to": "cancelled"},
            MailKind.CANCELLATION,
        ),
        # The withdrawal's own cancellation: the withdrawal mail says it.
        (
            OrderEventKind.STATUS_CHANGED,
            {"actor": "customer", "status_from": "new", "status_to": "cancelled"},
            None,
        ),
        (
            OrderEventKind.STATUS_CHANGED,
            {"actor": "provider:test-tl", "status_from": "new", "status_to": "in_progress"},
            None,
        ),
        (OrderEventKind.MESSAGE, {"message_type": "log", "text": "hej"}, None),
        (OrderEventKind.CITY_NETWORK_CALL, {}, None),
        (OrderEventKind.DEACTIVATION_CHANGED, {}, None),
    ],
)
def test_each_event_kind_gives_the_mail_a_customer_must_get_and_no_other(kind, fields, expected):
    if expected == "update":
        expected = MailKind.ACTIVATION_UPDATE
    event = an_event(kind, **fields)
    assert mail_kind_for(event) == expected
    message = notification_for(event)
    assert (message.kind if message else None) == expected


# --- the confirmation per scenario -----------------------------------------------------


def test_scenario_1_the_confirmation_says_activated_and_no_second_mail_repeats_it(deps, composer):
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement())
    assert order.activation.state == ActivationState.ACTIVATED
    relay_order(deps, order.id)
    results = work_queue(deps, composer)

    [mail] = mails(deps)
    assert mail.to == (EMAIL,)
    assert mail.subject == f"Orderbekräftelse {order.id}"
    assert "Tjänsten är aktiverad 2026-11-26. Du kan börja använda den." in mail.text
    assert "Tjänsten är aktiverad 2026-11-26." in mail.html
    # The activation event's update is the confirmation's news already.
    assert sorted(results) == ["sent", "told"]


def test_scenario_2_refused_by_the_city_network_the_confirmation_says_so_once(deps, city, composer):
    city.network.order_outcome = "refused"
    city.network.order_code = "404"
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement())
    assert order.activation.state == ActivationState.REFUSED
    relay_order(deps, order.id)
    work_queue(deps, composer)

    [mail] = mails(deps)
    assert "Tjänsten kan inte aktiveras just nu." in mail.text
    assert "Tjänsteleverantören kontaktar dig om vad som behöver göras." in mail.text


def test_scenario_3_nothing_deliverable_stores_no_order_and_sends_nothing(deps, city, composer):
    city.network.deliverable = not_deliverable("426", "Uttaget har ingen ledig kapacitet")
    deliverability, _ = check_deliverable("tl-internet-100", ACCESS, deps)
    assert not deliverability.deliverable
    # No order: no event for the relay, nothing queued, nothing sent.
    assert deps.notification_queue.messages == []  # type: ignore[attr-defined]
    assert work_queue(deps, composer) == []
    assert mails(deps) == []


def test_scenario_4_not_identified_the_confirmation_says_the_provider_handles_it(
    deps, city, composer
):
    order = place_with_agreement(
        an_order(city_network_id="test-stadsnat"), None, deps, an_agreement()
    )
    assert order.activation.state == ActivationState.MANUAL
    relay_order(deps, order.id)
    work_queue(deps, composer)

    [mail] = mails(deps)
    assert "Tjänsteleverantören hanterar din beställning och kontaktar dig." in mail.text
    assert city.network.calls == []


# --- what the confirmation holds ---------------------------------------------------------


def test_the_confirmation_holds_the_agreement_both_identities_the_withdrawal_and_the_link(
    deps, composer
):
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement(early_start=False))
    relay_order(deps, order.id)
    work_queue(deps, composer)
    [mail] = mails(deps)
    text = mail.text

    # What was agreed: the whole price, both documents with their short hashes and URLs,
    # the contract summary's version, the early-start answer.
    assert (
        "99 kr/mån de första 3 månaderna, därefter 299 kr/mån, startavgift 495 kr, "
        "bindningstid 12 mån, uppsägningstid 1 mån"
    ) in text
    assert f"SHA-256 {TERMS_SHA[:12]}" in text and TERMS_SHA[12:20] not in text
    assert "https://testtl.example/villkor" in text
    assert f"SHA-256 {PRIVACY_SHA[:12]}" in text
    assert "https://testtl.example/integritet" in text
    assert f"SHA-256 {SUMMARY_SHA[:12]}" in text
    assert "version 3" in text and "version 2" in text
    assert "Du bad inte att tjänsten ska starta under ångerfristen." in text
    # The provider's and our identity.
    assert PROVIDER_IDENTITY.company_name in text
    assert PROVIDER_IDENTITY.organisation_number in text
    assert PROVIDER_IDENTITY.email in text and PROVIDER_IDENTITY.phone in text
    assert "Stadsnätsfabriken AB" in text and "559412-0001" in text
    # The 14 days, with the last day (ordered 2026-11-26).
    assert "Sista dagen att ångra är 2026-12-10." in text
    # The standard withdrawal form, addressed to the provider.
    assert "Standardformulär för utövande av ångerrätt" in text
    assert f"Till {PROVIDER_IDENTITY.company_name}, {PROVIDER_IDENTITY.address}" in text
    for line in (
        "Jag/Vi meddelar härmed att jag/vi vill frånträda mitt/vårt avtal om köp av följande "
        "tjänst (*)",
        "Beställd den (*)/mottagen den (*)",
        "Konsumentens/konsumenternas namn",
        "Konsumentens/konsumenternas adress",
        "Konsumentens/konsumenternas namnteckning (endast om formuläret skickas i pappersform)",
        "Datum",
        "(*) Stryk det som inte gäller.",
    ):
        assert line in text, line
        assert line.replace("(*)", "(*)") in mail.html
    # The tracking link, signed as the receipt page checks it.
    [link] = re.findall(rf"{re.escape(BASE_URL)}/orders/(\S+)", text)
    order_id, _, token = link.partition("?t=")
    assert order_id == order.id
    assert receipt_token_matches(deps.signing_key, order.id, token)
    assert f'href="{BASE_URL}/orders/{order.id}?t={token}"' in mail.html
    assert mail.language == "sv"


def test_an_english_order_gets_its_confirmation_in_english_with_the_official_form(deps, composer):
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement("en", early_start=True))
    relay_order(deps, order.id)
    work_queue(deps, composer)
    [mail] = mails(deps)
    assert mail.subject == f"Order confirmation {order.id}"
    assert mail.language == "en"
    assert "The last day to withdraw is 2026-12-10." in mail.text
    assert "You asked for the service to start during the withdrawal period." in mail.text
    assert "you pay for the part of the service you have received" in mail.text
    for line in (
        "I/We (*) hereby give notice that I/We (*) withdraw from my/our (*) contract for the "
        "provision of the following service (*),",
        "Ordered on (*)/received on (*),",
        "Name of consumer(s),",
        "Address of consumer(s),",
        "Signature of consumer(s) (only if this form is notified on paper),",
        "(*) Delete as appropriate.",
    ):
        assert line in mail.text, line
    assert '<html lang="en">' in mail.html


def test_an_order_from_before_the_review_step_gets_a_confirmation_without_the_agreement(
    deps, composer
):
    order = place_with_agreement(an_order(), ACCESS, deps, None)
    assert order.agreement is None
    relay_order(deps, order.id)
    work_queue(deps, composer)
    [mail] = mails(deps)
    assert mail.language == "sv"
    assert "Det här har du godkänt" not in mail.text
    assert "Standardformulär för utövande av ångerrätt" in mail.text
    assert order.id in mail.text


def test_the_html_part_escapes_what_the_customer_typed(deps, composer):
    customer = a_customer(email=EMAIL, first_name="<b>Anna</b>", last_name="O'Neil & Co")
    order = place_with_agreement(
        an_order(customer=customer.model_dump()), ACCESS, deps, an_agreement()
    )
    relay_order(deps, order.id)
    work_queue(deps, composer)
    [mail] = mails(deps)
    assert "<b>Anna</b>" not in mail.html
    assert "&lt;b&gt;Anna&lt;/b&gt;" in mail.html
    # The plain text is plain: nothing escaped.
    assert "Hej <b>Anna</b> O'Neil & Co!" in mail.text


# --- updates -----------------------------------------------------------------------------


def test_a_scheduled_activation_mails_its_date_and_pending_mails_nothing(
    deps, city, composer, clock
):
    # Given an order whose first try failed transiently: pending, confirmation says so
    city.network.order_outcome = "transient"
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement())
    assert order.activation.state == ActivationState.PENDING
    relay_order(deps, order.id)
    work_queue(deps, composer)
    [confirmation] = mails(deps)
    assert "Aktiveringen pågår." in confirmation.text

    # When the activation is later booked for a date (the worker records it)
    stored = deps.orders.get(order.id)
    booked = stored.next_version(
        activation=Activation(
            state=ActivationState.SCHEDULED,
            date=date(2026, 12, 15),
            updated_at=clock.now() + timedelta(minutes=5),
        )
    )
    from chalicelib.domain.activation.events import activation_changed_event

    event = activation_changed_event(booked, clock.now() + timedelta(minutes=5), "worker")
    deps.orders.replace(booked, expected_version=stored.version, events=[event])
    queue_notification(event, deps)
    work_queue(deps, composer)

    # Then one update says the date
    confirmation, update = mails(deps)
    assert update.subject == f"Nytt om din beställning {order.id}"
    assert "Tjänsten aktiveras 2026-12-15." in update.text


def test_a_cancellation_by_the_provider_mails_the_customer(deps, composer):
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement("en"))
    change_status(order.id, "test-tl", OrderStatus.CANCELLED, "no capacity", deps)
    relay_order(deps, order.id)
    work_queue(deps, composer)
    subjects = [m.subject for m in mails(deps)]
    assert subjects == [f"Order confirmation {order.id}", f"Your order {order.id} is cancelled"]
    assert "The service provider has cancelled your order." in mails(deps)[1].text


def test_a_withdrawal_event_mails_the_withdrawal_confirmation(deps, composer, clock):
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement())
    withdrawn = OrderEvent(
        id="evt_01JDTEST0000000000000000WD",
        order_id=order.id,
        provider_id=order.provider_id,
        kind=OrderEventKind.WITHDRAWN,
        at=clock.now(),
        actor="customer",
    )
    deps.orders.append_events([withdrawn])
    queue_notification(withdrawn, deps)
    work_queue(deps, composer)
    withdrawal = mails(deps)[-1]
    assert withdrawal.subject == f"Du har ångrat beställning {order.id}"
    assert "Vi har tagit emot att du ångrar avtalet." in withdrawal.text


# --- once per event, retries, the dead-letter queue -------------------------------------------


def test_a_duplicate_queue_message_sends_the_mail_once(deps, composer):
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement())
    created = next(
        e for e in deps.orders.list_events(order.id) if e.kind == OrderEventKind.ORDER_CREATED
    )
    message = notification_for(created)
    assert message is not None
    assert send_notification(message, deps, composer) == "sent"
    assert send_notification(message, deps, composer) == "duplicate"
    assert len(mails(deps)) == 1


def test_a_mailer_that_is_down_delays_the_mail_then_sends_it_once(deps, composer, clock):
    mailer = FlakyMailer(failures=2)
    deps = deps.replaced(mailer=mailer)
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement())
    created = next(
        e for e in deps.orders.list_events(order.id) if e.kind == OrderEventKind.ORDER_CREATED
    )
    message = notification_for(created)
    assert message is not None

    assert send_notification(message, deps, composer) == "retry"
    [(retry, delay)] = deps.notification_queue.take()  # type: ignore[attr-defined]
    assert (retry.try_number, delay) == (2, 10)
    # The claim was released: the retry may send.
    assert deps.tokens.get(sent_key(created.id)) is None
    assert send_notification(retry, deps, composer) == "retry"
    [(third, delay)] = deps.notification_queue.take()  # type: ignore[attr-defined]
    assert (third.try_number, delay) == (3, 60)
    assert send_notification(third, deps, composer) == "sent"
    # And a late copy of any of them finds it sent.
    assert send_notification(retry, deps, composer) == "duplicate"
    assert len(mailer.inner.mails) == 1
    # The order was never touched.
    assert deps.orders.get(order.id).version == order.version


def test_a_wait_longer_than_the_queue_can_delay_travels_as_not_before(deps, composer, clock):
    deps = deps.replaced(mailer=FlakyMailer(failures=10))
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement())
    [message] = [
        m
        for e in deps.orders.list_events(order.id)
        if (m := notification_for(e)) and m.kind == MailKind.CONFIRMATION
    ]
    third = message.model_copy(update={"try_number": 3})
    assert send_notification(third, deps, composer) == "retry"
    [(follow_up, delay)] = deps.notification_queue.take()  # type: ignore[attr-defined]
    assert delay == 900
    assert follow_up.not_before == clock.now() + timedelta(seconds=1200)
    # Arriving early, it is queued again for the rest of the wait, and nothing is sent.
    assert send_notification(follow_up, deps, composer) == "deferred"
    [(_, rest)] = deps.notification_queue.take()  # type: ignore[attr-defined]
    assert rest == 900


def test_after_its_retries_the_mail_goes_to_the_dead_letter_queue(deps, composer):
    deps = deps.replaced(
        mailer=FlakyMailer(failures=100),
        notification_retries=RetrySchedule(waits_s=(1, 1, 1), jitter=0),
    )
    order = place_with_agreement(an_order(), ACCESS, deps, an_agreement())
    relay_order(deps, order.id)
    results = work_queue(deps, composer)
    # 1 try + 3 retries, then the DLQ; the activation's update too (no confirmation told it)
    assert results.count("dead_letter") == 2
    dead = deps.notification_dead_letters.messages  # type: ignore[attr-defined]
    assert {m.kind for m in dead} == {MailKind.CONFIRMATION, MailKind.ACTIVATION_UPDATE}
    assert all(m.try_number == 4 for m in dead)
    assert deps.tokens.get(sent_key(dead[0].event_id)) is None


def test_a_mail_the_service_refuses_goes_to_the_dead_letter_queue_at_once(deps, composer):
    deps = deps.replaced(mailer=FlakyMailer(failures=1, error=MailRejected))
    order = place_with_agreement(an_order(city_network_id="test-stadsnat"), None, deps, None)
    relay_order(deps, order.id)
    assert work_queue(deps, composer) == ["dead_letter"]
    [dead] = deps.notification_dead_letters.messages  # type: ignore[attr-defined]
    assert dead.try_number == 1


def test_a_message_for_an_unknown_order_is_dropped(deps, composer):
    message = NotificationMessage(
        event_id="evt_x", order_id="ord_01JDTEST00000000000000000A", kind=MailKind.CONFIRMATION
    )
    assert send_notification(message, deps, composer) == "unknown"
    assert mails(deps) == []


# --- GET /_dev/mail ------------------------------------------------------------------------


def test_dev_mail_lists_the_sent_mails_oldest_first_on_the_local_stage(deps, composer):
    order = place_with_agreement(an_order(city_network_id="test-stadsnat"), None, deps, None)
    change_status(order.id, "test-tl", OrderStatus.CANCELLED, None, deps)
    relay_order(deps, order.id)
    work_queue(deps, composer)
    import app as app_module

    use(deps)
    try:
        with Client(app_module.app) as client:
            response = client.http.get("/_dev/mail")
    finally:
        use(None)
    assert response.status_code == 200
    listed = response.json_body["messages"]
    assert [m["subject"] for m in listed] == [
        f"Orderbekräftelse {order.id}",
        f"Din beställning {order.id} är avbruten",
    ]
    assert set(listed[0]) == {"to", "subject", "text", "html", "sent_at"}
    assert listed[0]["to"] == [EMAIL]


@pytest.mark.parametrize("stage", ["dev", "prod", ""])
def test_dev_mail_is_a_plain_404_outside_the_local_stage(stage):
    import app as app_module

    use(InMemoryAdapters(Settings(stage=stage)))
    try:
        with Client(app_module.app) as client:
            response = client.http.get("/_dev/mail")
    finally:
        use(None)
    assert response.status_code == 404
    assert response.json_body == {"error": {"code": "not_found", "message": "no such resource"}}


def test_the_confirmation_waits_briefly_for_the_first_activation_call_under_way(
    deps, composer, clock
):
    # Given an order stored `pending` whose first call has not answered yet (no reply
    # recorded: the customer's request is still making it)
    order = place_with_agreement(
        an_order(city_network_id="test-stadsnat"), None, deps, an_agreement()
    )
    stored = deps.orders.get(order.id)
    created = next(
        e for e in deps.orders.list_events(order.id) if e.kind == OrderEventKind.ORDER_CREATED
    )
    under_way = stored.model_copy(
        update={"activation": stored.activation.model_copy(update={"state": "pending"})}
    )
    deps = deps.replaced(orders=_Fixed(deps.orders, under_way))
    message = notification_for(created)
    assert message is not None
    # When the confirmation comes: it looks again in a few seconds, sending nothing
    assert send_notification(message, deps, composer) == "waiting"
    [(again, delay)] = deps.notification_queue.take()  # type: ignore[attr-defined]
    assert (again, delay) == (message, 2)
    assert mails(deps) == []
    # Then, the wait over, it tells what it knows
    clock.advance(seconds=21)
    assert send_notification(message, deps, composer) == "sent"
    assert "Aktiveringen pågår." in mails(deps)[0].text


@dataclass
class _Fixed:
    """An order store that reads one order as `order`."""

    inner: object
    order: object

    def get(self, order_id: str) -> object:
        return self.order

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)
