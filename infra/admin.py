"""Admin command line: providers, city networks, offers and provider API keys.

    python -m infra.admin create-provider --id bredband-ab --name "Bredband AB"
    python -m infra.admin create-city-network --id demo-stadsnat --name "Demo Stadsnät" \\
        --api-url https://... --bounce-url https://... --ip-range 10.0.0.0/8 \\
        --credentials-ref demo-stadsnat/api
    python -m infra.admin create-city-network --id ko-net --name "KO-nätet" \\
        --protocol on-api-2.6 --api-url https://co.example/onapi/2.6/ \\
        --portal-url https://co.example/portal --co-id ko-net --ip-range 10.1.0.0/16 \\
        --credentials-ref ko-net/api
    python -m infra.admin load-offers offers.json
    python -m infra.admin issue-key --provider bredband-ab --label "order system"
    python -m infra.admin list-keys --provider bredband-ab
    python -m infra.admin revoke-key --provider bredband-ab --key-id key_0123456789ab

Works on the table named by TABLE_NAME (and AWS_ENDPOINT_URL for the local stack), with
the same adapters as the app. The operations are plain functions too, for seeding.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chalicelib.composition import Adapters, AwsAdapters
from chalicelib.domain.api_keys import issue_api_key, list_api_keys, revoke_api_key
from chalicelib.domain.clock import SystemClock
from chalicelib.domain.errors import DomainError, InvalidInput
from chalicelib.domain.models import DIRECT_ACTIVATION, ON_API, CityNetwork, Offer, Provider
from chalicelib.domain.ports import ApiKeyRecord
from chalicelib.settings import Settings

# --- operations ------------------------------------------------------------------------


def create_provider(svc: Adapters, provider_id: str, name: str) -> Provider:
    """Creates or renames a provider."""
    provider = Provider(id=provider_id, name=name)
    svc.catalog.put_provider(provider)
    return provider


PROTOCOLS = (DIRECT_ACTIVATION, ON_API)


def create_city_network(
    svc: Adapters,
    *,
    city_network_id: str,
    name: str,
    api_url: str,
    credentials_ref: str,
    protocol: str = DIRECT_ACTIVATION,
    bounce_url: str | None = None,
    portal_url: str | None = None,
    co_id: str | None = None,
    ip_ranges: list[str] | tuple[str, ...] = (),
) -> CityNetwork:
    """Creates or replaces a city network. Direct Activation identifies visitors through
    its bounce server (`bounce_url`), ON-API through its web portal (`portal_url`, where
    the network names itself `co_id`, by default our id)."""
    if protocol == DIRECT_ACTIVATION:
        if not bounce_url:
            raise InvalidInput(f"a {DIRECT_ACTIVATION} city network needs --bounce-url")
        if portal_url or co_id:
            raise InvalidInput("--portal-url and --co-id are for on-api-2.6 city networks")
        identification = {"bounce_url": bounce_url}
    elif protocol == ON_API:
        if not portal_url:
            raise InvalidInput(f"an {ON_API} city network needs --portal-url")
        if bounce_url:
            raise InvalidInput(f"--bounce-url is for {DIRECT_ACTIVATION} city networks")
        identification = {"portal_url": portal_url, "co_id": co_id or city_network_id}
    else:
        raise InvalidInput(f"unknown protocol {protocol!r} (one of {', '.join(PROTOCOLS)})")
    city_network = CityNetwork.model_validate(
        {
            "id": city_network_id,
            "name": name,
            "protocol": protocol,
            "api_url": api_url,
            "ip_ranges": tuple(ip_ranges),
            "credentials_ref": credentials_ref,
            **identification,
        }
    )
    svc.catalog.put_city_network(city_network)
    return city_network


def load_offers(svc: Adapters, items: list[dict[str, Any]]) -> list[Offer]:
    """Validates every offer, and that its provider and city network exist, before
    writing any: a bad file changes nothing."""
    catalog = svc.catalog
    offers = [Offer.model_validate(item) for item in items]
    for offer in offers:
        catalog.get_provider(offer.provider_id)
        catalog.get_city_network(offer.city_network_id)
    for offer in offers:
        catalog.put_offer(offer)
    return offers


def load_offers_file(svc: Adapters, path: Path) -> list[Offer]:
    """A JSON list of offers, or an object with an "offers" list."""
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data.get("offers") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InvalidInput('the file must hold a JSON list of offers or {"offers": [...]}')
    return load_offers(svc, items)


def issue_key(
    svc: Adapters, provider_id: str, label: str, key: str | None = None
) -> tuple[str, ApiKeyRecord]:
    svc.catalog.get_provider(provider_id)  # NotFound for a typo'd provider
    return issue_api_key(svc.api_keys, provider_id, label, SystemClock(), key=key)


def list_keys(svc: Adapters, provider_id: str) -> list[ApiKeyRecord]:
    svc.catalog.get_provider(provider_id)  # an empty list must mean "no keys", not a typo
    return list_api_keys(svc.api_keys, provider_id)


def revoke_key(svc: Adapters, provider_id: str, key_id: str) -> None:
    revoke_api_key(svc.api_keys, provider_id, key_id, SystemClock())


# --- command line ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.admin",
        description="Administer providers, city networks, offers and API keys.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("create-provider", help="create or rename a provider")
    p.add_argument("--id", required=True)
    p.add_argument("--name", required=True)

    p = commands.add_parser("create-city-network", help="create or update a city network")
    p.add_argument("--id", required=True)
    p.add_argument("--name", required=True)
    p.add_argument(
        "--protocol", choices=PROTOCOLS, default=DIRECT_ACTIVATION, help="default: %(default)s"
    )
    p.add_argument(
        "--api-url", required=True, help="for on-api-2.6 the versioned base, …/onapi/2.6/"
    )
    p.add_argument("--bounce-url", help="the bounce server (direct-activation-1.1: required)")
    p.add_argument("--portal-url", help="the web portal (on-api-2.6: required)")
    p.add_argument("--co-id", help="on-api-2.6: the network's ko in the portal hand-over")
    p.add_argument(
        "--credentials-ref",
        required=True,
        help="secret name: <ref> holds user:password, <ref>/bounce the bounce HMAC key "
        "(direct-activation-1.1) or <ref>/portal the portal key (on-api-2.6)",
    )
    p.add_argument("--ip-range", action="append", default=[], help="CIDR; repeatable")

    p = commands.add_parser("load-offers", help="load offers from a JSON file")
    p.add_argument("file", type=Path)

    p = commands.add_parser("issue-key", help="issue an API key; it is printed once")
    p.add_argument("--provider", required=True)
    p.add_argument("--label", required=True)
    p.add_argument(
        "--key-from-env",
        metavar="VARIABLE",
        help="use this environment variable's value as the key (e.g. DEMO_API_KEY)",
    )

    p = commands.add_parser("list-keys", help="list a provider's keys (never the keys)")
    p.add_argument("--provider", required=True)
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("revoke-key", help="revoke a key; effective immediately")
    p.add_argument("--provider", required=True)
    p.add_argument("--key-id", required=True)
    return parser


def _key_line(record: ApiKeyRecord) -> str:
    revoked = f"revoked {record.revoked_at.isoformat()}" if record.revoked_at else "active"
    return f"{record.key_id}\t{record.created_at.isoformat()}\t{revoked}\t{record.label}"


def _run(args: argparse.Namespace, svc: Adapters) -> int:
    if args.command == "create-provider":
        provider = create_provider(svc, args.id, args.name)
        print(f"provider {provider.id} saved")
    elif args.command == "create-city-network":
        city_network = create_city_network(
            svc,
            city_network_id=args.id,
            name=args.name,
            protocol=args.protocol,
            api_url=args.api_url,
            bounce_url=args.bounce_url,
            portal_url=args.portal_url,
            co_id=args.co_id,
            credentials_ref=args.credentials_ref,
            ip_ranges=args.ip_range,
        )
        print(f"city network {city_network.id} ({city_network.protocol}) saved")
    elif args.command == "load-offers":
        offers = load_offers_file(svc, args.file)
        print(f"{len(offers)} offers loaded")
    elif args.command == "issue-key":
        given = None
        if args.key_from_env:
            given = os.environ.get(args.key_from_env)
            if not given:
                raise InvalidInput(f"{args.key_from_env} is not set")
        key, record = issue_key(svc, args.provider, args.label, key=given)
        # The key alone on stdout, so a script can capture it; it is never shown again.
        print(key)
        print(
            f"issued {record.key_id} for {record.provider_id}; store the key now, "
            "it cannot be shown again",
            file=sys.stderr,
        )
    elif args.command == "list-keys":
        records = list_keys(svc, args.provider)
        if args.json:
            print(json.dumps([r.model_dump(mode="json", exclude={"key_hash"}) for r in records]))
        else:
            for record in records:
                print(_key_line(record))
    elif args.command == "revoke-key":
        revoke_key(svc, args.provider, args.key_id)
        print(f"key {args.key_id} revoked")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args, AwsAdapters(Settings.from_environment()))
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in error["loc"]) or "input"
            print(f"error: {where}: {error['msg']}", file=sys.stderr)
        return 2
    except (DomainError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
