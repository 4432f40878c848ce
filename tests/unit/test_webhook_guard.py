"""The SSRF guard: only public addresses, only https, nothing hidden in the URL."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Sequence

import pytest

from chalicelib.adapters.dns import within
from chalicelib.adapters.webhooks.guard import (
    Resolver,
    UnresolvableWebhookHost,
    UnsafeWebhookUrl,
    check_webhook_url,
)
from chalicelib.domain.errors import InvalidInput

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"

NON_PUBLIC = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "10.0.0.1",  # RFC 1918
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "169.254.170.2",  # link-local: ECS/Lambda credentials endpoint
    "100.64.0.1",  # CGNAT
    "0.0.0.0",  # unspecified
    "0.1.2.3",  # "this network"
    "192.0.0.1",  # IETF protocol assignments
    "192.0.2.1",  # documentation
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",  # benchmarking
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "::",  # unspecified
    "::1",  # loopback
    "fc00::1",  # ULA
    "fd12:3456::1",
    "fe80::1",  # link-local
    "fec0::1",  # site-local (deprecated)
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::1",  # local-use NAT64
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001:db8::1",  # documentation
    "2001::1",  # Teredo
    "100::1",  # discard-only
]


def resolving_to(*answers: str) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[str]:
        return list(answers)

    return resolve


def must_not_resolve(host: str, port: int) -> Sequence[str]:
    raise AssertionError(f"the guard asked DNS about {host!r}")


def url_for(address: str, scheme: str = "https") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}/hooks"


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_address_literal_is_refused(address: str) -> None:
    with pytest.raises(UnsafeWebhookUrl) as raised:
        check_webhook_url(url_for(address), allow_insecure=False, resolver=must_not_resolve)
    assert raised.value.reason == "non_public_address"


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_host_name_resolving_to_a_non_public_address_is_refused(address: str) -> None:
    with pytest.raises(UnsafeWebhookUrl, match="the host is"):
        check_webhook_url(
            "https://hooks.example.com/x", allow_insecure=False, resolver=resolving_to(address)
        )


@pytest.mark.parametrize("private", ["10.0.0.1", "169.254.169.254", "fd00::1"])
def test_host_with_one_public_and_one_private_address_is_refused(private: str) -> None:
    with pytest.raises(UnsafeWebhookUrl):
        check_webhook_url(
            "https://hooks.example.com/",
            allow_insecure=False,
            resolver=resolving_to(PUBLIC_V4, private),
        )


def test_public_https_url_is_allowed_with_its_vetted_addresses() -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> Sequence[str]:
        asked.append((host, port))
        return [PUBLIC_V4, PUBLIC_V6, PUBLIC_V4]

    target = check_webhook_url(
        "https://Hooks.Example.com:8443/in/bound?tenant=7", allow_insecure=False, resolver=resolve
    )
    assert asked == [("hooks.example.com", 8443)]
    assert target.scheme == "https"
    assert target.hostname == "hooks.example.com"
    assert target.port == 8443
    assert target.request_target == "/in/bound?tenant=7"
    assert target.addresses == (ipaddress.ip_address(PUBLIC_V4), ipaddress.ip_address(PUBLIC_V6))
    assert target.url.path == "/in/bound"


def test_default_port_and_path() -> None:
    target = check_webhook_url(
        "https://hooks.example.com", allow_insecure=False, resolver=resolving_to(PUBLIC_V4)
    )
    assert (target.port, target.request_target) == (443, "/")


def test_public_nat64_and_6to4_addresses_are_allowed() -> None:
    # 64:ff9b::5db8:d822 and 2002:5db8:d822:: both embed 93.184.216.34
    target = check_webhook_url(
        "https://hooks.example.com/",
        allow_insecure=False,
        resolver=resolving_to("64:ff9b::5db8:d822", "2002:5db8:d822::1"),
    )
    assert len(target.addresses) == 2


def test_public_ip_literal_is_allowed_without_dns() -> None:
    target = check_webhook_url(
        f"https://{PUBLIC_V4}/", allow_insecure=False, resolver=must_not_resolve
    )
    assert target.addresses == (ipaddress.ip_address(PUBLIC_V4),)


def test_http_is_refused_without_allow_insecure() -> None:
    with pytest.raises(UnsafeWebhookUrl) as raised:
        check_webhook_url(
            "http://hooks.example.com/", allow_insecure=False, resolver=resolving_to(PUBLIC_V4)
        )
    assert raised.value.reason == "scheme"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/",
        "file:///etc/passwd",
        "gopher://hooks.example.com:70/_GET",
        "javascript:alert(1)",
        "data:text/plain,hi",
        "hooks.example.com/no-scheme",
    ],
)
def test_other_schemes_are_refused_even_with_allow_insecure(url: str) -> None:
    with pytest.raises(UnsafeWebhookUrl) as raised:
        check_webhook_url(url, allow_insecure=True, resolver=resolving_to(PUBLIC_V4))
    assert raised.value.reason == "scheme"


@pytest.mark.parametrize(
    "url",
    [
        "https://user:s3cret-token@hooks.example.com/",
        "https://user@hooks.example.com/",
        "https://:s3cret-token@hooks.example.com/",
        "https://hooks.example.com@169.254.169.254/",
    ],
)
def test_credentials_in_the_url_are_refused_and_not_echoed(url: str) -> None:
    with pytest.raises(UnsafeWebhookUrl) as raised:
        check_webhook_url(url, allow_insecure=False, resolver=resolving_to(PUBLIC_V4))
    assert raised.value.reason == "credentials"
    assert "s3cret" not in str(raised.value)
    assert "example" not in str(raised.value)


def test_refusal_is_an_invalid_input_without_the_url() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_webhook_url(
            "https://hooks.example.com/?token=s3cret",
            allow_insecure=False,
            resolver=resolving_to("10.1.2.3"),
        )
    message = str(raised.value)
    assert "s3cret" not in message and "10.1.2.3" not in message and "example" not in message
    assert "private" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://2130706433/",  # 127.0.0.1 in decimal
        "https://0x7f000001/",  # hex
        "https://0x7f.1/",  # hex, short form
        "https://0177.0.0.1/",  # octal
        "https://017700000001/",
        "https://127.1/",  # short form
        "https://10.1/",
        "https://169.254.43518/",  # 169.254.169.254, last two octets as one number
        "https://0xa9fea9fe/",
        "https://127.0.0.1./",  # trailing dot
        "https://010.0.0.1/",  # leading zero: octal to some parsers
    ],
)
def test_ip_literals_in_other_notations_are_refused_whatever_dns_says(url: str) -> None:
    # Given a resolver that would (wrongly) call the host public
    with pytest.raises(UnsafeWebhookUrl) as raised:
        check_webhook_url(url, allow_insecure=True, resolver=resolving_to(PUBLIC_V4))
    assert raised.value.reason == "ip_literal_form"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://hooks.example.com/#frag", "fragment"),
        ("https://hooks.example.com/#", "fragment"),
        ("https:///path-only", "no_host"),
        ("https://:443/", "no_host"),
        ("https://hooks.example.com:0/", "port"),
        ("https://hooks.example.com:99999/", "port"),
        ("https://hooks.example.com:https/", "port"),
        ("https://hooks.example.com\t/", "invalid_characters"),
        ("https://hooks.exa\nmple.com/", "invalid_characters"),
        ("https://hooks.example.com\\@10.0.0.1/", "invalid_characters"),
        ("https://hooks.exämple.com/", "invalid_characters"),
        ("https://%31%30.0.0.1/", "invalid_host"),
        ("https://hooks_.-example.com/", "invalid_host"),
        ("https://[fe80::1%25eth0]/", "zone_id"),
        ("https://[not-an-ip]/", "malformed"),
        ("https://" + "a" * 2100 + ".com/", "too_long"),
    ],
)
def test_malformed_or_ambiguous_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeWebhookUrl) as raised:
        check_webhook_url(url, allow_insecure=False, resolver=resolving_to(PUBLIC_V4))
    assert raised.value.reason == reason


def test_unresolvable_host_is_refused_as_such() -> None:
    def fail(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    with pytest.raises(UnresolvableWebhookHost):
        check_webhook_url("https://nowhere.example.com/", allow_insecure=False, resolver=fail)
    with pytest.raises(UnresolvableWebhookHost):
        check_webhook_url(
            "https://nowhere.example.com/", allow_insecure=False, resolver=resolving_to()
        )
    with pytest.raises(UnresolvableWebhookHost):
        check_webhook_url(
            "https://nowhere.example.com/", allow_insecure=False, resolver=resolving_to("junk")
        )


class StalledDns:
    """A resolver that answers only when released, as a slow DNS server does."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.release.wait(10)
        return [PUBLIC_V4]


def test_a_lookup_that_does_not_finish_in_time_is_given_up_at_the_deadline() -> None:
    stalled = StalledDns()
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            within(stalled, 0.2)("slow.example.com", 443)
    finally:
        stalled.release.set()
    assert 0.2 <= time.monotonic() - started < 2


def test_a_bounded_lookup_passes_answers_and_errors_through() -> None:
    assert within(resolving_to(PUBLIC_V4), 5)("hook.example.com", 443) == [PUBLIC_V4]

    def fail(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    with pytest.raises(OSError, match="not known"):
        within(fail, 5)("nowhere.example.com", 443)


def test_a_host_that_does_not_resolve_in_time_is_refused_as_unresolvable() -> None:
    stalled = StalledDns()
    try:
        with pytest.raises(UnresolvableWebhookHost, match="in time"):
            check_webhook_url(
                "https://slow.example.com/hook",
                allow_insecure=False,
                resolver=within(stalled, 0.1),
            )
    finally:
        stalled.release.set()


def test_link_local_answer_with_zone_is_still_judged() -> None:
    with pytest.raises(UnsafeWebhookUrl):
        check_webhook_url(
            "https://hooks.example.com/", allow_insecure=False, resolver=resolving_to("fe80::1%2")
        )


class TestLocalStack:
    """allow_insecure: http and loopback for the local stack, nothing else private."""

    @pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://[::1]:8080/hook"])
    def test_loopback_over_http_is_allowed(self, url: str) -> None:
        target = check_webhook_url(url, allow_insecure=True, resolver=must_not_resolve)
        assert target.scheme == "http"
        assert target.addresses[0].is_loopback

    def test_localhost_name_is_allowed(self) -> None:
        target = check_webhook_url(
            "http://localhost:9000/", allow_insecure=True, resolver=resolving_to("127.0.0.1", "::1")
        )
        assert len(target.addresses) == 2

    @pytest.mark.parametrize(
        "address",
        [
            "10.0.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ],
    )
    def test_other_non_public_addresses_stay_refused(self, address: str) -> None:
        with pytest.raises(UnsafeWebhookUrl):
            check_webhook_url(url_for(address, "http"), allow_insecure=True)
        with pytest.raises(UnsafeWebhookUrl):
            check_webhook_url(
                "http://hook.test/", allow_insecure=True, resolver=resolving_to(address)
            )

    def test_loopback_is_refused_without_allow_insecure(self) -> None:
        with pytest.raises(UnsafeWebhookUrl):
            check_webhook_url("https://127.0.0.1/", allow_insecure=False)
        with pytest.raises(UnsafeWebhookUrl):
            check_webhook_url(
                "https://localhost/", allow_insecure=False, resolver=resolving_to("127.0.0.1")
            )


def test_real_resolver_vets_what_the_system_resolver_returns() -> None:
    # "localhost" resolves from /etc/hosts: no network traffic.
    with pytest.raises(UnsafeWebhookUrl):
        check_webhook_url("https://localhost/", allow_insecure=False)


@pytest.mark.parametrize(
    ("address", "named"),
    [
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("64:ff9b::a00:1", "NAT64 address of a private address"),
        ("2002:a9fe:a9fe::", "6to4 address of a link-local address"),
        ("169.254.169.254", "metadata"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"),
        ("fc00::1", "unique local"),
    ],
)
def test_refusal_names_the_address_class(address: str, named: str) -> None:
    with pytest.raises(UnsafeWebhookUrl, match=named):
        check_webhook_url(url_for(address), allow_insecure=False)


# --- the local stack's own services ------------------------------------------------------


def test_locally_a_webhook_may_call_loopback_but_not_the_stacks_own_services():
    reserved = frozenset({8010, 8020})
    allowed = check_webhook_url(
        "http://127.0.0.1:9999/hook", allow_insecure=True, reserved_ports=reserved
    )
    assert allowed.port == 9999
    with pytest.raises(UnsafeWebhookUrl) as refused:
        check_webhook_url(
            "http://127.0.0.1:8010/_emulator/reset", allow_insecure=True, reserved_ports=reserved
        )
    assert refused.value.reason == "reserved_port"


def test_the_local_stage_alone_allows_insecure_webhooks_and_reads_the_reserved_ports():
    from chalicelib.settings import Settings

    local = Settings.from_environment({"STAGE": "local", "LOCAL_SERVICE_PORTS": "8000,8010"})
    assert local.allow_insecure_webhooks and local.local_service_ports == (8000, 8010)
    for stage in ({}, {"STAGE": "dev"}, {"STAGE": "prod"}, {"ALLOW_INSECURE_WEBHOOKS": "true"}):
        assert not Settings.from_environment(stage).allow_insecure_webhooks, stage
