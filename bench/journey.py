"""A customer's web journey over HTTP, as a browser at a given address makes it.

Shared by the calls-per-order count, the load (one locust user runs it per order) and the
webhook latency. One journey = one new customer: a fresh cookie jar, `GET /` and the
redirects through the city network's bounce server (which sees this customer's address),
the offers page, the order form, the form's POST (answered with the review page), the
review's confirm POST and the receipt it redirects to.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

OFFER = "demo-tl-internet-100"
# The demo bounce server's addresses (README, "The local stack").
SCENARIO_ADDRESSES = {
    "1 activated": "127.0.0.2",
    "2 refused": "127.0.0.3",
    "3 not deliverable": "127.0.0.4",
    "4 not identified": "127.0.0.5",
}
CUSTOMER = {
    "first_name": "Anna",
    "last_name": "Svensson",
    "personal_number": "19811218-9876",
    "email": "anna.svensson@example.se",
    "phone": "070-123 45 67",
    "street_address": "Storgatan 1",
    "postal_code": "123 45",
    "city": "Storstad",
    "router": "rent",
}
TIMEOUT_S = 30
_HIDDEN = re.compile(r'name="(csrf_token|submission_id)" value="([^"]*)"')
_RECEIPT = re.compile(r"^/orders/(ord_[0-9A-Z]{26})\?t=")
_HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def confirm_fields(review_page: str, *, early_start: bool = True) -> list[tuple[str, str]]:
    """What the review page's form sends when the customer accepts the terms and confirms:
    every hidden input, step=confirm, and the early start where the page asks for it."""
    if 'name="step" value="confirm"' not in review_page:
        raise JourneyError("the form POST did not answer with the review page")
    fields = [(n, html.unescape(v)) for n, v in _HIDDEN_INPUT.findall(review_page)]
    fields += [("step", "confirm"), ("accept_terms", "on")]
    if early_start and 'name="early_start"' in review_page:
        fields.append(("early_start", "on"))
    return fields


class JourneyError(Exception):
    """The app answered something a browser on this journey would not have seen."""


class FromAddress(HTTPAdapter):
    """Connections from a chosen loopback address, as a browser at that address makes them."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser_at(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


@dataclass
class Journey:
    """What one customer's journey did: the order id (if one was stored) and each step."""

    order_id: str | None = None
    steps: list[tuple[str, int]] = field(default_factory=list)


def _get(browser: requests.Session, url: str, journey: Journey) -> requests.Response:
    response = browser.get(url, allow_redirects=False, timeout=TIMEOUT_S)
    journey.steps.append((urlsplit(url).path, response.status_code))
    if response.status_code >= 400:
        raise JourneyError(f"GET {urlsplit(url).path} answered {response.status_code}")
    return response


def _walk(browser: requests.Session, url: str, journey: Journey, hops: int = 6) -> str:
    """Follow redirects one at a time; the final page's URL."""
    response = _get(browser, url, journey)
    while response.is_redirect:
        if hops == 0:
            raise JourneyError("too many redirects")
        url = urljoin(url, response.headers["Location"])
        response = _get(browser, url, journey)
        hops -= 1
    return url


def order_journey(app_url: str, address: str, *, offer: str = OFFER) -> Journey:
    """The whole journey for one new customer at `address`; raises JourneyError on any
    answer the scenario does not expect. Scenario 3 ends at the form (nothing to order)."""
    journey = Journey()
    with browser_at(address) as browser:
        landed = _walk(browser, app_url + "/", journey)
        if urlsplit(landed).path != "/offers":
            raise JourneyError(f"the journey landed on {urlsplit(landed).path}, not /offers")
        form_url = f"{app_url}/order/{offer}"
        form = _get(browser, form_url, journey)
        hidden = dict(_HIDDEN.findall(form.text))
        if "csrf_token" not in hidden:
            if "kan inte levereras" in form.text or "not_deliverable" in form.text:
                return journey  # scenario 3: the customer is told why; nothing is stored
            raise JourneyError("the order form has no CSRF token")
        fields = {**CUSTOMER, **hidden}
        if "submission_id" not in fields:
            fields["submission_id"] = secrets.token_urlsafe(24)
        review = browser.post(form_url, data=fields, allow_redirects=False, timeout=TIMEOUT_S)
        journey.steps.append((urlsplit(form_url).path, review.status_code))
        if review.status_code != 200:
            raise JourneyError(f"the order form POST answered {review.status_code}")
        confirm = confirm_fields(review.text)
        posted = browser.post(form_url, data=confirm, allow_redirects=False, timeout=TIMEOUT_S)
        journey.steps.append((urlsplit(form_url).path, posted.status_code))
        location = posted.headers.get("Location", "")
        found = _RECEIPT.match(location)
        if posted.status_code != 303 or not found:
            raise JourneyError(f"the order POST answered {posted.status_code}")
        journey.order_id = found.group(1)
        _get(browser, urljoin(app_url + "/", location.lstrip("/")), journey)
    return journey
