"""The SES adapter: which SES answers are worth another try, and the MIME message it sends
(read back as /_dev/mail reads moto's copy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters.ses import SesMailer, mime_message, parsed_mail
from chalicelib.domain.notifications import Mail, MailerUnavailable, MailRejected
from tests.fakes import FixedClock

SENDER = "no-reply@stadsnatsfabriken.se"
MAIL = Mail(
    to=("anna@example.se",),
    subject="Orderbekräftelse ord_X",
    text="Hej Anna & Co!\nRad två",
    html="<p>Hej Anna &amp; Co!</p>",
    language="sv",
)


@dataclass(frozen=True)
class StubbedConnection:
    client_: Any

    def client(self, service: str) -> Any:
        assert service == "sesv2"
        return self.client_


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.session.Session().client(
        "sesv2",
        region_name="eu-north-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    return client, Stubber(client)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("TooManyRequestsException", 429, MailerUnavailable),
        ("LimitExceededException", 400, MailerUnavailable),
        ("SendingPausedException", 400, MailerUnavailable),
        ("InternalFailure", 500, MailerUnavailable),
        ("ServiceUnavailable", 503, MailerUnavailable),
        ("MessageRejected", 400, MailRejected),
        ("BadRequestException", 400, MailRejected),
        ("MailFromDomainNotVerifiedException", 400, MailRejected),
    ],
)
def test_ses_errors_are_a_retry_when_they_pass_and_a_refusal_otherwise(code, status, expected):
    client, stub = stubbed()
    stub.add_client_error("send_email", service_error_code=code, http_status_code=status)
    with stub, pytest.raises(expected) as raised:
        SesMailer(StubbedConnection(client), SENDER).send(MAIL)  # type: ignore[arg-type]
    # What is logged of it names the code, never the address
    assert "anna@example.se" not in str(raised.value)


def test_a_mail_goes_as_one_raw_message_from_the_sender_to_the_customer():
    client, stub = stubbed()
    stub.add_response(
        "send_email",
        {"MessageId": "m-1"},
        {
            "FromEmailAddress": SENDER,
            "Destination": {"ToAddresses": ["anna@example.se"]},
            "Content": {"Raw": {"Data": stub_any()}},
        },
    )
    with stub:
        assert SesMailer(StubbedConnection(client), SENDER).send(MAIL) == "m-1"  # type: ignore[arg-type]


def stub_any() -> Any:
    from botocore.stub import ANY

    return ANY


def test_the_mime_message_carries_both_parts_and_reads_back_as_dev_mail_lists_it():
    raw = mime_message(MAIL, SENDER, FixedClock().now())
    listed = parsed_mail(raw.decode("utf-8"))
    assert listed["to"] == ["anna@example.se"]
    assert listed["subject"] == "Orderbekräftelse ord_X"
    assert listed["text"] == "Hej Anna & Co!\nRad två\n"
    assert listed["html"] == "<p>Hej Anna &amp; Co!</p>\n"
    assert listed["sent_at"] == "2026-11-26T10:00:00+00:00"
    assert b"Content-Language: sv" in raw
