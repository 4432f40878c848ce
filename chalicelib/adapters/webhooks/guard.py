"""SSRF guard for provider webhook URLs.

A provider chooses the URL and we call it from inside our network, so a URL must never reach
our own services, the cloud metadata endpoint or anything else that is not on the public
internet. The guard parses strictly, resolves the host once, and vets EVERY address; the
sender then connects to a vetted address itself, so a second DNS answer (rebinding) is never
used. Messages name the rule that was broken, never the URL (it may carry a token).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from chalicelib.domain.errors import InvalidInput

from ..dns import Resolver, resolve_host

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
# A provider's DNS server decides how long a lookup of its host takes.
DNS_DEADLINE_S = 5.0
DEFAULT_PORTS = {"https": 443, "http": 80}

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# A last label like this makes inet_aton()/browsers read the host as an IPv4 address in
# decimal, octal or hex ("2130706433", "0x7f.1", "0177.0.0.1"); no DNS name ends so.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Refused whatever the Python version's is_global says (3.12.1 calls multicast, fec0::/10,
# 3fff::/20 and more "global"). The name is the reason given to the caller.
_REFUSED_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (_V4("0.0.0.0/8"), "an unspecified ('this network') address"),
    (_V4("10.0.0.0/8"), "a private address (RFC 1918)"),
    (_V4("100.64.0.0/10"), "a carrier-grade NAT address (RFC 6598)"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("169.254.0.0/16"), "a link-local address (incl. cloud metadata)"),
    (_V4("172.16.0.0/12"), "a private address (RFC 1918)"),
    (_V4("192.0.0.0/24"), "an IETF protocol address"),
    (_V4("192.0.2.0/24"), "a documentation address"),
    (_V4("192.88.99.0/24"), "a 6to4 relay address"),
    (_V4("192.168.0.0/16"), "a private address (RFC 1918)"),
    (_V4("198.18.0.0/15"), "a benchmarking address"),
    (_V4("198.51.100.0/24"), "a documentation address"),
    (_V4("203.0.113.0/24"), "a documentation address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
    (_V6("::/128"), "an unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("64:ff9b:1::/48"), "a local NAT64 address"),
    (_V6("100::/64"), "a discard-only address"),
    (_V6("2001::/23"), "an IETF protocol address (incl. Teredo)"),
    (_V6("2001:db8::/32"), "a documentation address"),
    (_V6("3fff::/20"), "a documentation address"),
    (_V6("5f00::/16"), "a segment-routing address"),
    (_V6("fc00::/7"), "a unique local address (ULA)"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a site-local address"),
    (_V6("ff00::/8"), "a multicast address"),
)
_NAT64 = _V6("64:ff9b::/96")
_SIX_TO_FOUR = _V6("2002::/16")
_IPV4_COMPATIBLE = _V6("::/96")


class UnsafeWebhookUrl(InvalidInput):
    """The webhook URL may not be called. `reason` is a stable code, the message says why."""

    code = "unsafe_webhook_url"

    def __init__(self, reason: str, message: str) -> None:
        details = {"field": "url", "reason": reason}
        super().__init__(f"webhook URL refused: {message}", details=details)
        self.reason = reason


class UnresolvableWebhookHost(UnsafeWebhookUrl):
    """DNS gave no usable answer. Refused at registration; transient when delivering."""


@dataclass(frozen=True)
class CheckedTarget:
    url: SplitResult
    scheme: str
    hostname: str  # as in the URL, lower case, without brackets; used for Host and TLS
    port: int
    request_target: str  # path and query, what goes on the request line
    addresses: tuple[IPAddress, ...]  # every address the host resolved to, all vetted


def check_webhook_url(
    url: str,
    *,
    allow_insecure: bool,
    resolver: Resolver = resolve_host,
    reserved_ports: frozenset[int] = frozenset(),
) -> CheckedTarget:
    """Parse and vet `url`; raise UnsafeWebhookUrl unless every resolved address is public.

    `allow_insecure` (the local stack only) permits http:// and loopback addresses; private,
    link-local and metadata addresses stay refused even then, and so do loopback
    `reserved_ports` (the local stack's own services).
    """
    parts = _parse(url, allow_insecure=allow_insecure)
    hostname = parts.hostname or ""
    port = _port(parts)
    literal = _ip_literal(hostname)
    if literal is not None:
        # An address written in the URL is used as is: no resolver may reinterpret it.
        answers: Sequence[str] = [str(literal)]
    else:
        _check_dns_name(hostname)
        try:
            answers = resolver(hostname, port)
        except TimeoutError as exc:
            raise UnresolvableWebhookHost(
                "unresolvable", "the host name did not resolve in time"
            ) from exc
        except (OSError, UnicodeError) as exc:
            raise UnresolvableWebhookHost("unresolvable", "the host name does not resolve") from exc
        if not answers:
            raise UnresolvableWebhookHost("unresolvable", "the host name does not resolve")
    addresses: list[IPAddress] = []
    for answer in answers:
        address = _parse_answer(answer)
        _vet_address(address, allow_loopback=allow_insecure)
        if address.is_loopback and port in reserved_ports:
            raise UnsafeWebhookUrl(
                "reserved_port", "the URL points at one of the local stack's own services"
            )
        if address not in addresses:
            addresses.append(address)
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return CheckedTarget(
        url=parts,
        scheme=parts.scheme,
        hostname=hostname,
        port=port,
        request_target=target,
        addresses=tuple(addresses),
    )


def _parse(url: str, *, allow_insecure: bool) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookUrl("too_long", f"longer than {MAX_URL_LENGTH} characters")
    # urlsplit() silently drops tabs and newlines and tolerates backslashes, and clients
    # disagree on what they mean; accept only printable ASCII so we call what was vetted.
    if not url.isascii() or any(not c.isprintable() or c.isspace() or c == "\\" for c in url):
        raise UnsafeWebhookUrl(
            "invalid_characters",
            "only printable ASCII without spaces or backslashes (use punycode and %-escapes)",
        )
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise UnsafeWebhookUrl("malformed", "not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and allow_insecure):
        raise UnsafeWebhookUrl("scheme", "the scheme must be https")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise UnsafeWebhookUrl("credentials", "credentials in the URL are not allowed")
    if "#" in url:
        raise UnsafeWebhookUrl("fragment", "a fragment (#...) is not allowed")
    if not parts.hostname:
        raise UnsafeWebhookUrl("no_host", "the URL has no host")
    return parts._replace(scheme=scheme)


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError as exc:
        raise UnsafeWebhookUrl("port", "the port is not a number from 1 to 65535") from exc
    if port is None:
        return DEFAULT_PORTS[parts.scheme]
    if not 1 <= port <= 65535:
        raise UnsafeWebhookUrl("port", "the port is not a number from 1 to 65535")
    return port


def _ip_literal(hostname: str) -> IPAddress | None:
    if "%" in hostname and ":" in hostname:
        raise UnsafeWebhookUrl("zone_id", "an IPv6 zone id is not allowed")
    try:
        # Strict: four decimal octets without leading zeros, or an IPv6 address.
        return ipaddress.ip_address(hostname)
    except ValueError:
        return None


def _check_dns_name(hostname: str) -> None:
    name = hostname[:-1] if hostname.endswith(".") else hostname
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UnsafeWebhookUrl("invalid_host", "the host is not a valid DNS name")
    if _NUMERIC_LABEL.match(labels[-1]):
        raise UnsafeWebhookUrl(
            "ip_literal_form", "an IP address must be written as four decimal numbers"
        )


def _parse_answer(answer: str) -> IPAddress:
    # getaddrinfo() appends "%<zone>" to link-local IPv6; the address alone decides.
    try:
        return ipaddress.ip_address(answer.split("%", 1)[0])
    except ValueError as exc:
        raise UnresolvableWebhookHost("unresolvable", "the host gave no valid address") from exc


def _vet_address(address: IPAddress, *, allow_loopback: bool) -> None:
    reason = refusal_reason(address, allow_loopback=allow_loopback)
    if reason is not None:
        raise UnsafeWebhookUrl("non_public_address", f"the host is {reason}")


def refusal_reason(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why `address` may not be called, or None if it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
            inner = refusal_reason(embedded)
            return None if inner is None else f"a NAT64 address of {inner}"
        if address.sixtofour is not None:
            inner = refusal_reason(address.sixtofour)
            return None if inner is None else f"a 6to4 address of {inner}"
        if address in _IPV4_COMPATIBLE and int(address) > 1:
            return "an IPv4-compatible IPv6 address"
    if allow_loopback and address.is_loopback:
        return None
    for network, reason in _REFUSED_NETWORKS:
        if address.version == network.version and address in network:
            return reason
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved or address.is_unspecified:
        return "a reserved address"
    if not address.is_global:
        return "not a public address"
    return None
