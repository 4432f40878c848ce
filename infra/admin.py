"""Admin command line: providers, city networks, offers, provider documents and API keys.

    python -m infra.admin create-provider --id bredband-ab --name "Bredband AB" \\
        --company-name "Bredband AB" --organisation-number 556000-0001 \\
        --address "Storgatan 1, 111 51 Stockholm" --email kundservice@bredband.example \\
        --phone "+46 8 123 456 00"
    python -m infra.admin create-city-network --id demo-stadsnat --name "Demo Stadsnät" \\
        --api-url https://... --bounce-url https://... --ip-range 10.0.0.0/8 \\
        --credentials-ref demo-stadsnat/api
    python -m infra.admin create-city-network --id ko-net --name "KO-nätet" \\
        --protocol on-api-2.6 --api-url https://co.example/onapi/2.6/ \\
        --portal-url https://co.example/portal --co-id ko-net --ip-range 10.1.0.0/16 \\
        --credentials-ref ko-net/api
    python -m infra.admin load-offers offers.json
    python -m infra.admin add-document --provider bredband-ab --kind terms --file villkor.txt
    python -m infra.admin add-document --provider bredband-ab --kind privacy \\
        --url https://bredband.example/integritetspolicy
    python -m infra.admin list-documents --provider bredband-ab --kind terms
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
from chalicelib.domain.documents import add_version
from chalicelib.domain.errors import DomainError, InvalidInput, NotFound
from chalicelib.domain.models import (
    DIRECT_ACTIVATION,
    DOCUMENT_KINDS,
    ON_API,
    CityNetwork,
    DocumentKind,
    LegalIdentity,
    Offer,
    Provider,
    ProviderDocument,
)
from chalicelib.domain.ports import ApiKeyRecord
from chalicelib.settings import Settings

from .document_fetch import document_sha256

# --- operations ------------------------------------------------------------------------


IDENTITY_FIELDS = tuple(LegalIdentity.model_fields)


def create_provider(
    svc: Adapters, provider_id: str, name: str, identity: dict[str, str] | None = None
) -> Provider:
    """Creates or renames a provider. `identity` holds legal-identity fields to set; the
    ones not given keep their stored value (renaming keeps the identity), and a provider
    without one stored needs all of them."""
    known = _stored_provider(svc, provider_id)
    legal = known.legal_identity if known else None
    given = {k: v for k, v in (identity or {}).items() if v is not None}
    if given:
        merged = {**(legal.model_dump() if legal else {}), **given}
        missing = [f"--{f.replace('_', '-')}" for f in IDENTITY_FIELDS if f not in merged]
        if missing:
            raise InvalidInput(f"the legal identity also needs {' '.join(missing)}")
        legal = LegalIdentity.model_validate(merged)
    provider = Provider(id=provider_id, name=name, legal_identity=legal)
    svc.catalog.put_provider(provider)
    return provider


def _stored_provider(svc: Adapters, provider_id: str) -> Provider | None:
    try:
        return svc.catalog.get_provider(provider_id)
    except NotFound:
        return None


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


class InvalidOffers(Exception):
    """Offers in a file that the model refuses: one line per offer and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _offer_name(index: int, item: object) -> str:
    offer_id = item.get("id") if isinstance(item, dict) else None
    return f"offer {offer_id}" if isinstance(offer_id, str) else f"offer #{index + 1}"


def validate_offers(items: list[Any]) -> list[Offer]:
    """Every offer of the file, or InvalidOffers naming each offer and field refused
    (binding over 24 months, notice over one, a campaign without months, ...)."""
    offers, problems = [], []
    for index, item in enumerate(items):
        try:
            offers.append(Offer.model_validate(item))
        except ValidationError as exc:
            for error in exc.errors(include_input=False, include_url=False):
                where = ".".join(str(p) for p in error["loc"]) or "input"
                problems.append(f"{_offer_name(index, item)}: {where}: {error['msg']}")
    if problems:
        raise InvalidOffers(problems)
    return offers


def load_offers(svc: Adapters, items: list[Any]) -> list[Offer]:
    """Validates every offer, and that its provider and city network exist, before
    writing any: a bad file changes nothing. Fields an older file lacks take the model's
    defaults (start fee 0, no campaign, one month's notice)."""
    from chalicelib.domain.offer_versions import managed_through_the_api, put_operator_offer

    catalog = svc.catalog
    offers = validate_offers(items)
    for offer in offers:
        catalog.get_provider(offer.provider_id)
        catalog.get_city_network(offer.city_network_id)
    managed = [o.id for o in offers if managed_through_the_api(o.id, catalog)]
    if managed:
        raise InvalidOffers(
            [
                f"offer {i}: managed by its provider through the API; change it there"
                for i in managed
            ]
        )
    return [put_operator_offer(offer, catalog) for offer in offers]


def load_offers_file(svc: Adapters, path: Path) -> list[Offer]:
    """A JSON list of offers, or an object with an "offers" list."""
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data.get("offers") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InvalidInput('the file must hold a JSON list of offers or {"offers": [...]}')
    return load_offers(svc, items)


def add_document(
    svc: Adapters,
    provider_id: str,
    kind: DocumentKind,
    *,
    file: Path | None = None,
    url: str | None = None,
    sha256: str | None = None,
) -> ProviderDocument:
    """A new version of a provider's terms or privacy policy, from a UTF-8 text file or a
    URL. A URL's content is downloaded once for its hash unless `sha256` states it."""
    if (file is None) == (url is None):
        raise InvalidInput("give either --file or --url")
    svc.catalog.get_provider(provider_id)  # before any download
    if file is not None:
        if sha256:
            raise InvalidInput("--sha256 is for --url; a file's hash is computed from its text")
        text = file.read_text(encoding="utf-8")
        if not text.strip():
            raise InvalidInput(f"{file} is empty")
        return add_version(svc.catalog, provider_id, kind, now=SystemClock().now(), text=text)
    assert url is not None
    if sha256 is not None:
        sha256 = sha256.lower()
    digest = sha256 or document_sha256(url)
    return add_version(
        svc.catalog, provider_id, kind, now=SystemClock().now(), url=url, content_sha256=digest
    )


def list_documents(svc: Adapters, provider_id: str, kind: DocumentKind) -> list[ProviderDocument]:
    svc.catalog.get_provider(provider_id)  # an empty list must mean "none yet", not a typo
    return svc.catalog.documents(provider_id, kind)


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
        description="Administer providers, city networks, offers, documents and API keys.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser(
        "create-provider", help="create or update a provider (name, legal identity)"
    )
    p.add_argument("--id", required=True)
    p.add_argument("--name", required=True)
    identity = p.add_argument_group(
        "legal identity",
        "shown to customers before they order; a flag left out keeps its stored value",
    )
    identity.add_argument("--company-name")
    identity.add_argument("--organisation-number", help="NNNNNN-NNNN")
    identity.add_argument("--address", help="postal address, one line")
    identity.add_argument("--email", help="customer service e-mail")
    identity.add_argument("--phone", help="customer service phone, e.g. +46 8 123 456 00")

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

    p = commands.add_parser(
        "add-document", help="add a new version of a provider's terms or privacy policy"
    )
    p.add_argument("--provider", required=True)
    p.add_argument("--kind", required=True, choices=DOCUMENT_KINDS)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, help="the document's text (UTF-8)")
    source.add_argument("--url", help="https:// address the document is published at")
    p.add_argument(
        "--sha256", help="with --url: the document's SHA-256 (otherwise it is downloaded once)"
    )

    p = commands.add_parser("list-documents", help="list a provider's document versions")
    p.add_argument("--provider", required=True)
    p.add_argument("--kind", required=True, choices=DOCUMENT_KINDS)
    p.add_argument("--json", action="store_true")

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


def _document_line(document: ProviderDocument) -> str:
    where = document.url or f"text, {len(document.text or '')} characters"
    return (
        f"{document.version}\t{document.created_at.isoformat()}\t{document.content_sha256}\t{where}"
    )


def _run(args: argparse.Namespace, svc: Adapters) -> int:
    if args.command == "create-provider":
        given = {f: getattr(args, f) for f in IDENTITY_FIELDS}
        provider = create_provider(svc, args.id, args.name, given)
        identity = "with" if provider.legal_identity else "without"
        print(f"provider {provider.id} saved ({identity} legal identity)")
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
    elif args.command == "add-document":
        document = add_document(
            svc, args.provider, args.kind, file=args.file, url=args.url, sha256=args.sha256
        )
        print(
            f"{document.kind} version {document.version} of {document.provider_id} added "
            f"(sha256 {document.content_sha256})"
        )
    elif args.command == "list-documents":
        documents = list_documents(svc, args.provider, args.kind)
        if args.json:
            print(json.dumps([d.model_dump(mode="json", exclude={"text"}) for d in documents]))
        else:
            for document in documents:
                print(_document_line(document))
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
    except InvalidOffers as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
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
