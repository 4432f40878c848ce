"""Properties of the webhook SSRF guard: any text is either refused with UnsafeWebhookUrl or
vetted to addresses that an independent reading of the IANA registries calls public."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from hypothesis import event, given
from hypothesis import strategies as st

from chalicelib.adapters.webhooks.guard import UnsafeWebhookUrl, check_webhook_url

v4 = st.ip_addresses(v=4).map(str)
v6 = st.ip_addresses(v=6).map(str)
interesting = st.sampled_from(
    ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.1", "64:ff9b::a00:1",
     "2002:a00:1::", "fe80::1", "fd00::1", "100.64.0.1", "0.0.0.0", "93.184.216.34",
     "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8", "64:ff9b::808:808", "2002:808:808::"]
)  # fmt: skip
addresses = st.one_of(v4, v6, interesting)
hosts = st.one_of(
    addresses.map(lambda a: f"[{a}]" if ":" in a else a),
    st.sampled_from(["hooks.example.com", "localhost", "a.b", "0x7f.1", "127.1", "x" * 64]),
    st.from_regex(r"[a-z0-9.\-_%@:\[\]]{1,30}", fullmatch=True),
)
urls = st.one_of(
    st.text(max_size=120),
    st.builds(
        lambda scheme, userinfo, host, port, path: f"{scheme}://{userinfo}{host}{port}{path}",
        st.just("https") | st.sampled_from(["http", "HTTPS", "ftp", "", "https:"]),
        st.just("") | st.sampled_from(["user@", "user:pw@", "@", "hooks.example.com@"]),
        hosts,
        st.just("") | st.sampled_from([":443", ":0", ":65536", ":8443", ":x", ":"]),
        st.just("/hook") | st.sampled_from(["", "/", "/#f", "/a b", "/\\..", "/%2e%2e/"]),
    ),
)


def public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """The oracle: globally reachable unicast, including what an IPv6 form embeds."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return False
        # NAT64 and 6to4 reach the IPv4 address they embed: that one decides
        if address in ipaddress.ip_network("64:ff9b::/96"):
            return public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None:
            return public(address.sixtofour)
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_private
    )


@given(url=urls, answers=st.lists(addresses, max_size=3), allow_insecure=st.booleans())
def test_any_url_is_refused_or_vetted_to_public_addresses(
    url: str, answers: list[str], allow_insecure: bool
) -> None:
    def resolve(host: str, port: int) -> Sequence[str]:
        return answers

    try:
        target = check_webhook_url(url, allow_insecure=allow_insecure, resolver=resolve)
    except UnsafeWebhookUrl as refused:
        if len(url) >= 12:
            assert url not in str(refused)  # never echoes the URL (it may hold a token)
        event(f"refused: {refused.reason}")
        return
    event("vetted")
    assert target.addresses
    for address in target.addresses:
        assert public(address) or (allow_insecure and address.is_loopback), address
    assert target.scheme == "https" or (allow_insecure and target.scheme == "http")
    assert "@" not in target.url.netloc and "#" not in url
