"""The admin command line against a real (moto) table, as an operator would run it."""

from __future__ import annotations

import hashlib
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


# --- issue 12: the whole price, legal identity and documents -----------------------------

IDENTITY_ARGS = (
    "--company-name", "Bredband AB",
    "--organisation-number", "556000-0001",
    "--address", "Storgatan 1, 111 51 Stockholm",
    "--email", "kundservice@bredband.example",
    "--phone", "+46 8 123 456 00",
)  # fmt: skip


def city_network_and_provider(env: dict[str, str]) -> None:
    created = admin(
        env,
        "create-city-network",
        "--id", "demo-stadsnat",
        "--name", "Demo Stadsnät",
        "--api-url", "https://ko.example/api",
        "--bounce-url", "https://ko.example/bounce",
        "--credentials-ref", "demo-stadsnat/api",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    provider = admin(env, "create-provider", "--id", "bredband-ab", "--name", "Bredband AB")
    assert provider.returncode == 0, provider.stderr


def offer_item(offer_id: str = "bredband-ab-100", **fields: object) -> dict[str, object]:
    return {
        "id": offer_id,
        "provider_id": "bredband-ab",
        "city_network_id": "demo-stadsnat",
        "service_uid": "BB100100",
        "category": "internet",
        "name": "Bredband 100/100",
        "monthly_price_sek": 299,
        "binding_months": 12,
        **fields,
    }


def test_a_provider_gets_its_legal_identity_and_keeps_it_when_renamed(env: dict[str, str]):
    created = admin(env, "create-provider", "--id", "bredband-ab", "--name", "Bredband AB",
                    *IDENTITY_ARGS)  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "with legal identity" in created.stdout
    renamed = admin(env, "create-provider", "--id", "bredband-ab", "--name", "Bredband AB 2")
    assert renamed.returncode == 0, renamed.stderr
    moved = admin(env, "create-provider", "--id", "bredband-ab", "--name", "Bredband AB 2",
                  "--address", "Nygatan 2, 222 22 Lund")  # fmt: skip
    assert moved.returncode == 0, moved.stderr

    stored = adapters(env).catalog.get_provider("bredband-ab")
    assert stored.name == "Bredband AB 2"
    assert stored.legal_identity is not None
    assert stored.legal_identity.model_dump() == {
        "company_name": "Bredband AB",
        "organisation_number": "556000-0001",
        "address": "Nygatan 2, 222 22 Lund",
        "email": "kundservice@bredband.example",
        "phone": "+46 8 123 456 00",
    }


def test_a_half_or_malformed_legal_identity_is_refused_without_a_traceback(
    env: dict[str, str],
):
    half = admin(env, "create-provider", "--id", "ny-tl", "--name", "Ny TL",
                 "--company-name", "Ny TL AB")  # fmt: skip
    assert half.returncode == 1
    assert "--organisation-number --address --email --phone" in half.stderr
    malformed = list(IDENTITY_ARGS)
    malformed[malformed.index("556000-0001")] = "5560000001"
    bad = admin(env, "create-provider", "--id", "ny-tl", "--name", "Ny TL", *malformed)
    assert bad.returncode == 2
    assert "organisation_number" in bad.stderr
    assert "Traceback" not in half.stderr + bad.stderr
    with pytest.raises(NotFound):
        adapters(env).catalog.get_provider("ny-tl")


def test_offers_load_with_the_whole_price_and_old_files_take_the_defaults(
    env: dict[str, str], tmp_path: Path
):
    city_network_and_provider(env)
    offers = tmp_path / "offers.json"
    whole = offer_item(
        "bredband-ab-1000",
        start_fee_sek=495,
        campaign={"monthly_price_sek": 199, "months": 6},
        notice_months=0,
        download_mbit=1000,
        upload_mbit=500,
    )
    offers.write_text(json.dumps([offer_item(), whole]))

    loaded = admin(env, "load-offers", str(offers))

    assert loaded.returncode == 0, loaded.stderr
    catalog = adapters(env).catalog
    old = catalog.get_offer("bredband-ab-100")
    assert (old.start_fee_sek, old.campaign, old.notice_months) == (0, None, 1)
    assert (old.download_mbit, old.upload_mbit) == (None, None)
    new = catalog.get_offer("bredband-ab-1000")
    assert new.start_fee_sek == 495 and new.notice_months == 0
    assert new.campaign is not None
    assert (new.campaign.monthly_price_sek, new.campaign.months) == (199, 6)
    assert (new.download_mbit, new.upload_mbit) == (1000, 500)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"binding_months": 25}, "offer bad-offer: binding_months:"),
        ({"notice_months": 2}, "offer bad-offer: notice_months:"),
        ({"start_fee_sek": -1}, "offer bad-offer: start_fee_sek:"),
        ({"campaign": {"monthly_price_sek": 99}}, "offer bad-offer: campaign.months:"),
        ({"download_mbit": 0}, "offer bad-offer: download_mbit:"),
    ],
)
def test_a_bad_offer_is_named_with_its_field_and_nothing_is_loaded(
    env: dict[str, str], tmp_path: Path, fields: dict[str, object], named: str
):
    city_network_and_provider(env)
    offers = tmp_path / "offers.json"
    offers.write_text(json.dumps({"offers": [offer_item(), offer_item("bad-offer", **fields)]}))

    refused = admin(env, "load-offers", str(offers))

    assert refused.returncode == 2
    assert named in refused.stderr
    assert "Traceback" not in refused.stderr
    assert adapters(env).catalog.offers_of_provider("bredband-ab") == []


def test_an_offer_without_an_id_is_named_by_its_place_in_the_file(
    env: dict[str, str], tmp_path: Path
):
    offers = tmp_path / "offers.json"
    item = offer_item()
    del item["id"]
    offers.write_text(json.dumps([offer_item(), item]))

    refused = admin(env, "load-offers", str(offers))

    assert refused.returncode == 2
    assert "offer #2: id: Field required" in refused.stderr


def test_document_versions_are_added_from_files_and_listed_oldest_first(
    env: dict[str, str], tmp_path: Path
):
    city_network_and_provider(env)
    first, second = tmp_path / "villkor-1.txt", tmp_path / "villkor-2.txt"
    first.write_text("Allmänna villkor, version 1", encoding="utf-8")
    second.write_text("Allmänna villkor, version 2", encoding="utf-8")

    one = admin(env, "add-document", "--provider", "bredband-ab", "--kind", "terms",
                "--file", str(first))  # fmt: skip
    two = admin(env, "add-document", "--provider", "bredband-ab", "--kind", "terms",
                "--file", str(second))  # fmt: skip

    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert "terms version 1 of bredband-ab added" in one.stdout
    assert "terms version 2 of bredband-ab added" in two.stdout
    catalog = adapters(env).catalog
    stored = catalog.documents("bredband-ab", "terms")
    assert [d.version for d in stored] == [1, 2]
    assert stored[0].text == "Allmänna villkor, version 1"
    assert (
        stored[0].content_sha256
        == hashlib.sha256("Allmänna villkor, version 1".encode()).hexdigest()
    )
    assert catalog.current_document("bredband-ab", "terms") == stored[1]
    assert catalog.current_document("bredband-ab", "privacy") is None
    listed = admin(env, "list-documents", "--provider", "bredband-ab", "--kind", "terms")
    lines = listed.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["1", "2"]
    assert stored[1].content_sha256 in lines[1]
    as_json = admin(env, "list-documents", "--provider", "bredband-ab", "--kind", "terms",
                    "--json")  # fmt: skip
    assert [d["version"] for d in json.loads(as_json.stdout)] == [1, 2]


def test_a_document_at_a_url_is_stored_with_the_stated_hash(env: dict[str, str]):
    city_network_and_provider(env)
    digest = "ab" * 32

    added = admin(
        env, "add-document", "--provider", "bredband-ab", "--kind", "privacy",
        "--url", "https://bredband.example/integritet", "--sha256", digest.upper(),
    )  # fmt: skip

    assert added.returncode == 0, added.stderr
    (document,) = adapters(env).catalog.documents("bredband-ab", "privacy")
    assert (document.url, document.text, document.content_sha256) == (
        "https://bredband.example/integritet",
        None,
        digest,
    )


def test_a_document_at_a_url_is_downloaded_once_for_its_hash(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    from infra import admin as admin_module

    city_network_and_provider(env)
    fetched: list[str] = []

    def fake_sha256(url: str) -> str:
        fetched.append(url)
        return "cd" * 32

    monkeypatch.setattr(admin_module, "document_sha256", fake_sha256)

    code = admin_module.main(["add-document", "--provider", "bredband-ab", "--kind", "terms",
                              "--url", "https://bredband.example/villkor"])  # fmt: skip

    assert code == 0
    assert fetched == ["https://bredband.example/villkor"]
    current = adapters(env).catalog.current_document("bredband-ab", "terms")
    assert current is not None and current.content_sha256 == "cd" * 32


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--provider", "nobody", "--kind", "terms", "--url", "https://x.example/v",
          "--sha256", "ab" * 32], 1, "provider nobody not found"),
        (["--provider", "bredband-ab", "--kind", "terms", "--url", "http://x.example/v"],
         1, "must be https://"),
        (["--provider", "bredband-ab", "--kind", "terms", "--url", "https://x.example/v",
          "--sha256", "not-a-hash"], 2, "content_sha256"),
        (["--provider", "bredband-ab", "--kind", "contract", "--url", "https://x.example/v"],
         2, "invalid choice"),
    ],
)  # fmt: skip
def test_a_document_that_cannot_be_stored_is_refused_without_a_traceback(
    env: dict[str, str], args: list[str], code: int, message: str
):
    city_network_and_provider(env)

    refused = admin(env, "add-document", *args)

    assert refused.returncode == code
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr
    assert adapters(env).catalog.documents("bredband-ab", "terms") == []


def test_a_file_documents_hash_is_never_taken_from_the_command_line(
    env: dict[str, str], tmp_path: Path
):
    city_network_and_provider(env)
    text = tmp_path / "villkor.txt"
    text.write_text("Villkor", encoding="utf-8")

    refused = admin(env, "add-document", "--provider", "bredband-ab", "--kind", "terms",
                    "--file", str(text), "--sha256", "ab" * 32)  # fmt: skip

    assert refused.returncode == 1
    assert "--sha256 is for --url" in refused.stderr
