"""Providers, city networks and offers (key schema: schema.py).

Providers and city networks live in one small partition each, so listing them is one Query
that comes back sorted by id. An offer is one item per version (sk VERSION#<n>), found by id with
one Query of its partition (the version in force is picked from them) and listed per city
network and per provider through two small indexes. A provider offer (provider API) is one
item per version plus a head item (its newest version, listed per provider); publishing one
writes it and its catalog offers' versions in one transaction. Every write bumps the
catalog generation item, which CachedCatalog reads to know its entries are current.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from chalicelib.domain.clock import Clock, SystemClock
from chalicelib.domain.errors import AlreadyExists, ConcurrentModification, NotFound
from chalicelib.domain.models import (
    CityNetwork,
    DocumentKind,
    Offer,
    Provider,
    ProviderDocument,
)
from chalicelib.domain.offer_versions import in_force, latest_by_id
from chalicelib.domain.provider_offer import ProviderOffer

from .attributes import Item, query_items, s, text
from .client import DynamoDBTable
from .schema import INDEX_CITY_NETWORK_OFFERS, INDEX_PROVIDER_OFFERS

PROVIDERS_PK = "CATALOG#PROVIDER"
CITY_NETWORKS_PK = "CATALOG#CITYNET"
OFFER_SK = "OFFER"
# Version numbers zero-padded so the sort key orders them: the newest is one reverse Query.
DOCUMENT_VERSION_DIGITS = 6

M = TypeVar("M", bound=BaseModel)


VERSION_PREFIX = "VERSION#"
HEAD_SK = "HEAD"
# Bumped by every catalog write; CachedCatalog reads it once per request.
GENERATION_PK = "CATALOG#GENERATION"


def version_sk(version: int) -> str:
    return f"{VERSION_PREFIX}{version:0{DOCUMENT_VERSION_DIGITS}d}"


def provider_offer_pk(offer_id: str) -> str:
    return f"PROVIDEROFFER#{offer_id}"


def provider_offers_pk(provider_id: str) -> str:
    return f"PROVIDER#{provider_id}#OFFERS"


def offer_pk(offer_id: str) -> str:
    return f"OFFER#{offer_id}"


def documents_pk(provider_id: str) -> str:
    return f"PROVIDER#{provider_id}#DOCUMENTS"


def document_sk(kind: str, version: int) -> str:
    return f"{kind}#{version:0{DOCUMENT_VERSION_DIGITS}d}"


class DynamoDBCatalog:
    def __init__(self, table: DynamoDBTable, clock: Clock | None = None) -> None:
        self._table = table.name
        self._client = table.client
        self._clock = clock or SystemClock()

    def _put(self, item: Item) -> None:
        self._client().put_item(TableName=self._table, Item=item)

    def _get(self, model: type[M], pk: str, sk: str, what: str) -> M:
        # Strongly consistent: a cache that saw the generation change must read the change.
        response = self._client().get_item(
            TableName=self._table, Key={"pk": s(pk), "sk": s(sk)}, ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            raise NotFound(f"{what} not found")
        return model.model_validate_json(text(item, "doc"))

    def _query(self, model: type[M], key: str, value: str, index: str | None = None) -> list[M]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": f"{key} = :v",
            "ExpressionAttributeValues": {":v": s(value)},
        }
        if index is not None:
            params["IndexName"] = index  # indexes are eventually consistent (CachedCatalog)
        else:
            params["ConsistentRead"] = True
        items = query_items(self._client(), params)
        return [model.model_validate_json(text(item, "doc")) for item in items]

    def put_provider(self, provider: Provider) -> None:
        self._put(
            {"pk": s(PROVIDERS_PK), "sk": s(provider.id), "doc": s(provider.model_dump_json())}
        )
        self._bump()

    def get_provider(self, provider_id: str) -> Provider:
        return self._get(Provider, PROVIDERS_PK, provider_id, f"provider {provider_id}")

    def list_providers(self) -> list[Provider]:
        return self._query(Provider, "pk", PROVIDERS_PK)

    def put_city_network(self, city_network: CityNetwork) -> None:
        self._put(
            {
                "pk": s(CITY_NETWORKS_PK),
                "sk": s(city_network.id),
                "doc": s(city_network.model_dump_json()),
            }
        )
        self._bump()

    def get_city_network(self, city_network_id: str) -> CityNetwork:
        return self._get(
            CityNetwork, CITY_NETWORKS_PK, city_network_id, f"city network {city_network_id}"
        )

    def list_city_networks(self) -> list[CityNetwork]:
        return self._query(CityNetwork, "pk", CITY_NETWORKS_PK)

    def _offer_item(self, offer: Offer) -> Item:
        return {
            "pk": s(offer_pk(offer.id)),
            "sk": s(version_sk(offer.version)),
            "doc": s(offer.model_dump_json()),
            "cno_pk": s(f"CITYNET#{offer.city_network_id}"),
            "cno_sk": s(offer.id),
            "pvo_pk": s(f"PROVIDER#{offer.provider_id}"),
            "pvo_sk": s(offer.id),
        }

    def put_offer(self, offer: Offer) -> None:
        self._put(self._offer_item(offer))
        self._bump()

    def offer_versions(self, offer_id: str) -> list[Offer]:
        found = self._query(Offer, "pk", offer_pk(offer_id))
        # An item written before versions (sk OFFER) sorts first; a version item of the same
        # number replaces it.
        return list({o.version: o for o in found}.values())

    def get_offer(self, offer_id: str) -> Offer:
        offer = in_force(self.offer_versions(offer_id), self._clock.now())
        if offer is None:
            raise NotFound(f"offer {offer_id} not found")
        return offer

    def _in_force(self, key: str, value: str, index: str) -> list[Offer]:
        found = self._query(Offer, key, value, index)
        unique = {(o.id, o.version): o for o in found}.values()
        return latest_by_id(unique, self._clock.now())

    def offers_in_city_network(self, city_network_id: str) -> list[Offer]:
        offers = self._in_force("cno_pk", f"CITYNET#{city_network_id}", INDEX_CITY_NETWORK_OFFERS)
        return [o for o in offers if o.city_network_id == city_network_id and not o.retired]

    def offers_of_provider(self, provider_id: str) -> list[Offer]:
        offers = self._in_force("pvo_pk", f"PROVIDER#{provider_id}", INDEX_PROVIDER_OFFERS)
        return [o for o in offers if o.provider_id == provider_id]

    def publish_offer(self, offer: ProviderOffer, catalog_offers: Sequence[Offer]) -> None:
        """One transaction: the provider offer's version, its head (the newest version,
        listed per provider) moved on only from the version before, each catalog offer's
        version, and the generation. Any of them taken: another writer won."""
        from botocore.exceptions import ClientError

        new = {"ConditionExpression": "attribute_not_exists(pk)"}
        head = {
            "pk": s(provider_offer_pk(offer.id)),
            "sk": s(HEAD_SK),
            "doc": s(offer.model_dump_json()),
            "version": {"N": str(offer.version)},
            "pvo_pk": s(provider_offers_pk(offer.provider_id)),
            "pvo_sk": s(offer.id),
        }
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": s(provider_offer_pk(offer.id)),
                        "sk": s(version_sk(offer.version)),
                        "doc": s(offer.model_dump_json()),
                    },
                    **new,
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": head,
                    "ConditionExpression": "attribute_not_exists(pk) OR version = :previous",
                    "ExpressionAttributeValues": {":previous": {"N": str(offer.version - 1)}},
                }
            },
            *(
                {"Put": {"TableName": self._table, "Item": self._offer_item(o), **new}}
                for o in catalog_offers
            ),
            {"Update": self._bump_params()},
        ]
        try:
            self._client().transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise ConcurrentModification(f"offer {offer.id} changed meanwhile") from None
            raise

    def provider_offer_versions(self, offer_id: str) -> list[ProviderOffer]:
        params = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :v)",
            "ExpressionAttributeValues": {
                ":pk": s(provider_offer_pk(offer_id)),
                ":v": s(VERSION_PREFIX),
            },
            "ConsistentRead": True,
        }
        items = query_items(self._client(), params)
        return [ProviderOffer.model_validate_json(text(item, "doc")) for item in items]

    def provider_offers(self, provider_id: str) -> list[ProviderOffer]:
        return self._query(
            ProviderOffer, "pvo_pk", provider_offers_pk(provider_id), INDEX_PROVIDER_OFFERS
        )

    def _bump_params(self) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": {"pk": s(GENERATION_PK), "sk": s(GENERATION_PK)},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }

    def _bump(self) -> None:
        self._client().update_item(**self._bump_params())

    def bump_generation(self) -> None:
        """Tell every process's catalog cache that something it may hold changed (a
        provider's extension form lives in its own store but is read beside the catalog)."""
        self._bump()

    def generation(self) -> int:
        # Strongly consistent: a change must be seen by the very next page view.
        item = (
            self._client()
            .get_item(
                TableName=self._table,
                Key={"pk": s(GENERATION_PK), "sk": s(GENERATION_PK)},
                ConsistentRead=True,
                ProjectionExpression="n",
            )
            .get("Item")
        )
        return int(item["n"]["N"]) if item else 0

    def add_document(self, document: ProviderDocument) -> None:
        from botocore.exceptions import ClientError

        try:
            self._client().put_item(
                TableName=self._table,
                Item={
                    "pk": s(documents_pk(document.provider_id)),
                    "sk": s(document_sk(document.kind, document.version)),
                    "doc": s(document.model_dump_json()),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise AlreadyExists(f"{document.kind} version {document.version} exists") from None
            raise
        self._bump()

    def _documents(self, provider_id: str, kind: DocumentKind, **extra: object) -> list[Item]:
        params = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :kind)",
            "ExpressionAttributeValues": {
                ":pk": s(documents_pk(provider_id)),
                ":kind": s(f"{kind}#"),
            },
            "ConsistentRead": True,
            **extra,
        }
        if "Limit" in extra:
            return list(self._client().query(**params).get("Items", []))
        return list(query_items(self._client(), params))

    def documents(self, provider_id: str, kind: DocumentKind) -> list[ProviderDocument]:
        items = self._documents(provider_id, kind)
        return [ProviderDocument.model_validate_json(text(item, "doc")) for item in items]

    def current_document(self, provider_id: str, kind: DocumentKind) -> ProviderDocument | None:
        items = self._documents(provider_id, kind, ScanIndexForward=False, Limit=1)
        return ProviderDocument.model_validate_json(text(items[0], "doc")) if items else None
