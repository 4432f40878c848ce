"""The admin command line against a real (moto) table, as an operator would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.composition import AwsAdapters
from chalicelib.domain.api_keys import authenticate
from chalicelib.domain.errors import NotFound, Unauthorized
from chalicelib.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(table_name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The environment an operator's shell would have; this process's settings follow it
    for the test's own checks, and are forgotten afterwards."""
    from chalicelib.settings import settings

    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("SECRET_APP_SIGNING_KEY", "admin-cli-test-signing-key")
    monkeypatch.delenv("SECRETS_SSM_PREFIX", raising=False)
    settings.cache_clear()
    yield dict(os.environ)
    settings.cache_clear()


def admin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.admin", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def adapters(env: dict[str, str]) -> AwsAdapters:
    """What the operator's shell would build: the same settings the command line reads."""
    return AwsAdapters(Settings.from_environment(env))


def test_operator_sets_up_a_provider_and_rotates_its_keys(
    env: dict[str, str], tmp_path: Path
) -> None:
    # Given a city network and a provider
    assert (
        admin(env, "create-provider", "--id", "bredband-ab", "--name", "Bredband AB").returncode
        == 0
    )
    created = admin(
        env,
        "create-city-network",
        "--id", "demo-stadsnat",
        "--name", "Demo Stadsnät",
        "--api-url", "https://ko.example/api",
        "--bounce-url", "https://ko.example/bounce",
        "--credentials-ref", "demo-stadsnat/api",
        "--ip-range", "10.0.0.0/8",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    # When the operator loads offers
    offers = tmp_path / "offers.json"
    offers.write_text(
        json.dumps(
            {
                "offers": [
                    {
                        "id": "bredband-ab-100",
                        "provider_id": "bredband-ab",
                        "city_network_id": "demo-stadsnat",
                        "service_uid": "BB100100",
                        "category": "internet",
                        "name": "Bredband 100/100",
                        "monthly_price_sek": 299,
                        "binding_months": 12,
                    }
                ]
            }
        )
    )
    loaded = admin(env, "load-offers", str(offers))
    assert loaded.returncode == 0, loaded.stderr
    assert "1 offers loaded" in loaded.stdout
    # And issues two keys
    first = admin(env, "issue-key", "--provider", "bredband-ab", "--label", "order system")
    second = admin(env, "issue-key", "--provider", "bredband-ab", "--label", "rotation")
    assert first.returncode == second.returncode == 0, first.stderr
    key_one, key_two = first.stdout.strip(), second.stdout.strip()
    assert key_one.startswith("sfk_") and key_two.startswith("sfk_")
    # Then both keys authenticate, and the listing shows labels but never keys or hashes
    svc = adapters(env)
    assert svc.catalog.offers_of_provider("bredband-ab")[0].service_uid == "BB100100"
    assert (
        authenticate(svc.api_keys, key_one) == authenticate(svc.api_keys, key_two) == "bredband-ab"
    )
    listed = json.loads(admin(env, "list-keys", "--provider", "bredband-ab", "--json").stdout)
    assert [k["label"] for k in listed] == ["order system", "rotation"]
    assert all("key_hash" not in k for k in listed)
    text = admin(env, "list-keys", "--provider", "bredband-ab").stdout
    assert key_one not in text and "order system" in text
    # When the first key is revoked, it stops working and the second still works
    old_id = listed[0]["key_id"]
    revoked = admin(env, "revoke-key", "--provider", "bredband-ab", "--key-id", old_id)
    assert revoked.returncode == 0, revoked.stderr
    with pytest.raises(Unauthorized):
        authenticate(svc.api_keys, key_one)
    assert authenticate(svc.api_keys, key_two) == "bredband-ab"


def test_a_given_key_comes_from_the_environment_not_the_command_line(
    env: dict[str, str],
) -> None:
    admin(env, "create-provider", "--id", "demo-tl", "--name", "Demo TL")
    given = {**env, "DEMO_API_KEY": "sfk_local-demo-key-0123456789"}
    issued = admin(
        given,
        "issue-key",
        "--provider",
        "demo-tl",
        "--label",
        "demo",
        "--key-from-env",
        "DEMO_API_KEY",
    )
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.strip() == "sfk_local-demo-key-0123456789"
    assert authenticate(adapters(env).api_keys, "sfk_local-demo-key-0123456789") == "demo-tl"


def test_mistakes_are_reported_without_a_traceback(env: dict[str, str], tmp_path: Path) -> None:
    unknown = admin(env, "issue-key", "--provider", "nobody", "--label", "x")
    assert unknown.returncode == 1
    assert "provider nobody not found" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    # A typo'd provider is not "a provider without keys"
    listing = admin(env, "list-keys", "--provider", "nobody")
    assert (listing.returncode, listing.stdout) == (1, "")
    assert "provider nobody not found" in listing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "x-1", "provider_id": "nobody"}]))
    invalid = admin(env, "load-offers", str(bad))
    assert invalid.returncode == 2
    assert "city_network_id" in invalid.stderr
    wrong_id = admin(env, "revoke-key", "--provider", "nobody", "--key-id", "key_000000000000")
    assert wrong_id.returncode == 1


def test_operator_creates_an_on_api_city_network(env: dict[str, str]) -> None:
    # When the operator creates an ON-API city network without naming its ko
    created = admin(
        env,
        "create-city-network",
        "--id", "ko-net",
        "--name", "KO-nätet",
        "--protocol", "on-api-2.6",
        "--api-url", "https://co.example/onapi/2.6/",
        "--portal-url", "https://co.example/portal",
        "--credentials-ref", "ko-net/api",
        "--ip-range", "10.1.0.0/16",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "ko-net (on-api-2.6) saved" in created.stdout
    # Then it is stored as ON-API, with its portal and our id as its ko
    stored = adapters(env).catalog.get_city_network("ko-net")
    assert stored.protocol == "on-api-2.6"
    assert (stored.api_url, stored.portal_url) == (
        "https://co.example/onapi/2.6/",
        "https://co.example/portal",
    )
    assert (stored.co_id, stored.bounce_url, stored.ip_ranges) == ("ko-net", "", ("10.1.0.0/16",))
    # And a given ko is kept; the protocol defaults to Direct Activation
    named = admin(
        env,
        "create-city-network",
        "--id", "ko-net",
        "--name", "KO-nätet",
        "--protocol", "on-api-2.6",
        "--api-url", "https://co.example/onapi/2.6/",
        "--portal-url", "https://co.example/portal",
        "--co-id", "KO.42",
        "--credentials-ref", "ko-net/api",
    )  # fmt: skip
    assert named.returncode == 0, named.stderr
    assert adapters(env).catalog.get_city_network("ko-net").co_id == "KO.42"
    direct = admin(
        env,
        "create-city-network",
        "--id", "da-net",
        "--name", "DA-nätet",
        "--api-url", "https://da.example/api",
        "--bounce-url", "https://da.example/bounce",
        "--credentials-ref", "da-net/api",
    )  # fmt: skip
    assert direct.returncode == 0, direct.stderr
    assert adapters(env).catalog.get_city_network("da-net").protocol == "direct-activation-1.1"
    # And a protocol we do not speak is refused by the command line itself
    unknown = admin(env, "create-city-network", "--protocol", "on-api-3", "--id", "x")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


@pytest.mark.parametrize(
    ("protocol_args", "identification", "message"),
    [
        ([], [], "needs --bounce-url"),
        (["--protocol", "on-api-2.6"], [], "needs --portal-url"),
        (
            ["--protocol", "on-api-2.6"],
            ["--portal-url", "https://co.example/portal", "--bounce-url", "https://b.example/"],
            "--bounce-url is for direct-activation-1.1",
        ),
        ([], ["--bounce-url", "https://b.example/", "--co-id", "x"], "are for on-api-2.6"),
    ],
)
def test_a_city_network_without_its_way_of_identifying_visitors_is_refused(
    env: dict[str, str], protocol_args: list[str], identification: list[str], message: str
) -> None:
    refused = admin(
        env,
        "create-city-network",
        "--id", "half-net",
        "--name", "Halvt",
        "--api-url", "https://x.example/api",
        "--credentials-ref", "half-net/api",
        *protocol_args,
        *identification,
    )  # fmt: skip
    assert refused.returncode == 1
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr
    with pytest.raises(NotFound):
        adapters(env).catalog.get_city_network("half-net")
