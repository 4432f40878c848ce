"""Providers, city networks and offers (key schema: schema.py).

Providers and city networks live in one small partition each, so listing them is one Query
that comes back sorted by id. An offer is one item, found by id with one GetItem and listed per
city network and per provider through two small indexes; a put that moves an offer moves its
index entries with it.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from chalicelib.domain.errors import AlreadyExists, NotFound
from chalicelib.domain.models import (
    CityNetwork,
    DocumentKind,
    Offer,
    Provider,
    ProviderDocument,
)

from .attributes import Item, query_items, s, text
from .client import DynamoDBTable
from .schema import INDEX_CITY_NETWORK_OFFERS, INDEX_PROVIDER_OFFERS

PROVIDERS_PK = "CATALOG#PROVIDER"
CITY_NETWORKS_PK = "CATALOG#CITYNET"
OFFER_SK = "OFFER"
# Version numbers zero-padded so the sort key orders them: the newest is one reverse Query.
DOCUMENT_VERSION_DIGITS = 6

M = TypeVar("M", bound=BaseModel)


def offer_pk(offer_id: str) -> str:
    return f"OFFER#{offer_id}"


def documents_pk(provider_id: str) -> str:
    return f"PROVIDER#{provider_id}#DOCUMENTS"


def document_sk(kind: str, version: int) -> str:
    return f"{kind}#{version:0{DOCUMENT_VERSION_DIGITS}d}"


class DynamoDBCatalog:
    def __init__(self, table: DynamoDBTable) -> None:
        self._table = table.name
        self._client = table.client

    def _put(self, item: Item) -> None:
        self._client().put_item(TableName=self._table, Item=item)

    def _get(self, model: type[M], pk: str, sk: str, what: str) -> M:
        response = self._client().get_item(TableName=self._table, Key={"pk": s(pk), "sk": s(sk)})
        item = response.get("Item")
        if item is None:
            raise NotFound(f"{what} not found")
        return model.model_validate_json(text(item, "doc"))

    def _query(self, model: type[M], key: str, value: str, index: str | None = None) -> list[M]:
        params = {
            "TableName": self._table,
            "KeyConditionExpression": f"{key} = :v",
            "ExpressionAttributeValues": {":v": s(value)},
        }
        if index is not None:
            params["IndexName"] = index
        items = query_items(self._client(), params)
        return [model.model_validate_json(text(item, "doc")) for item in items]

    def put_provider(self, provider: Provider) -> None:
        self._put(
            {"pk": s(PROVIDERS_PK), "sk": s(provider.id), "doc": s(provider.model_dump_json())}
        )

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

    def get_city_network(self, city_network_id: str) -> CityNetwork:
        return self._get(
            CityNetwork, CITY_NETWORKS_PK, city_network_id, f"city network {city_network_id}"
        )

    def list_city_networks(self) -> list[CityNetwork]:
        return self._query(CityNetwork, "pk", CITY_NETWORKS_PK)

    def put_offer(self, offer: Offer) -> None:
        self._put(
            {
                "pk": s(offer_pk(offer.id)),
                "sk": s(OFFER_SK),
                "doc": s(offer.model_dump_json()),
                "cno_pk": s(f"CITYNET#{offer.city_network_id}"),
                "cno_sk": s(offer.id),
                "pvo_pk": s(f"PROVIDER#{offer.provider_id}"),
                "pvo_sk": s(offer.id),
            }
        )

    def get_offer(self, offer_id: str) -> Offer:
        return self._get(Offer, offer_pk(offer_id), OFFER_SK, f"offer {offer_id}")

    def offers_in_city_network(self, city_network_id: str) -> list[Offer]:
        return self._query(Offer, "cno_pk", f"CITYNET#{city_network_id}", INDEX_CITY_NETWORK_OFFERS)

    def offers_of_provider(self, provider_id: str) -> list[Offer]:
        return self._query(Offer, "pvo_pk", f"PROVIDER#{provider_id}", INDEX_PROVIDER_OFFERS)

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

    def _documents(self, provider_id: str, kind: DocumentKind, **extra: object) -> list[Item]:
        params = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :kind)",
            "ExpressionAttributeValues": {
                ":pk": s(documents_pk(provider_id)),
                ":kind": s(f"{kind}#"),
            },
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
