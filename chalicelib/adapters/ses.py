"""The `Mailer` on Amazon SES (API v2), and what the local stack's moto kept of it.

A mail goes as one MIME message (Content.Raw): plain text and HTML as alternatives, so
every client shows one of them and moto keeps both (its Simple content keeps the HTML
only). The client is created on first use and reused (aws_clients.py).
"""

from __future__ import annotations

import json
import urllib.request
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid, parsedate_to_datetime
from typing import Any

from ..domain.clock import Clock, SystemClock
from ..domain.notifications import Mail, MailerUnavailable, MailRejected
from .aws_clients import AwsConnection

# Errors after which the same mail may well be taken later (AWS's throttling codes, and
# SES's own "not now"); every other client error is a refusal of this mail.
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "SendingPausedException",
        "ServiceUnavailable",
        "InternalFailure",
        "RequestTimeout",
    }
)


def mime_message(mail: Mail, sender: str, at: Any) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    # Quoted-printable: the message stays 7-bit ASCII whatever the language.
    message.set_content(mail.text, cte="quoted-printable")
    message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    # After the content: setting it replaces every Content-* header.
    message["Content-Language"] = mail.language
    return message.as_bytes()


class SesMailer:
    def __init__(self, connection: AwsConnection, sender: str, clock: Clock | None = None) -> None:
        self._connection = connection
        self._sender = sender
        self._clock = clock or SystemClock()

    def send(self, mail: Mail) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._connection.client("sesv2")
        try:
            answer = client.send_email(
                FromEmailAddress=self._sender,
                Destination={"ToAddresses": list(mail.to)},
                Content={"Raw": {"Data": mime_message(mail, self._sender, self._clock.now())}},
            )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in RETRYABLE_CODES or status >= 500 or status == 429:
                raise MailerUnavailable(f"SES {code or status}") from None
            raise MailRejected(f"SES {code or status}") from None
        except BotoCoreError as error:
            # Unreachable endpoint, timeouts, ...: the service is not there right now.
            raise MailerUnavailable(f"SES unreachable: {type(error).__name__}") from None
        return str(answer.get("MessageId", ""))


def verify_sender(connection: AwsConnection, sender: str) -> None:
    """Make `sender` an identity SES sends as (the local stack, on moto)."""
    client = connection.client("sesv2")
    try:
        client.create_email_identity(EmailIdentity=sender)
    except client.exceptions.AlreadyExistsException:
        return


def sent_on_moto(endpoint_url: str, timeout_s: float = 5.0) -> list[dict[str, Any]]:
    """The mails moto's server took, oldest first, as /_dev/mail lists them. moto keeps
    them in its SES backend; its /moto-api/data.json shows them (RawMessage instances,
    in the order they were created)."""
    url = endpoint_url.rstrip("/") + "/moto-api/data.json"
    with urllib.request.urlopen(url, timeout=timeout_s) as answer:  # noqa: S310 - our moto
        data = json.loads(answer.read())
    raw = data.get("ses", {}).get("RawMessage", [])
    return [parsed_mail(item.get("raw_data", "")) for item in raw]


def parsed_mail(raw: str) -> dict[str, Any]:
    message = BytesParser(policy=default_policy).parsebytes(raw.encode("utf-8"))
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    date = message.get("Date")
    return {
        "to": [address.strip() for address in str(message.get("To", "")).split(",") if address],
        "subject": str(message.get("Subject", "")),
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
        "sent_at": parsedate_to_datetime(str(date)).isoformat() if date else None,
    }
