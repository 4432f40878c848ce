"""Providers' extension forms (domain/provider_forms.py): one immutable item per version,
`PROVIDER#<provider id>#FORMS` / `FORM#<version, zero-padded>` (schema.py), so the current
one is one reverse Query of one item."""

from __future__ import annotations

from chalicelib.domain.errors import AlreadyExists
from chalicelib.domain.provider_forms import ProviderForm

from .attributes import s, text
from .client import DynamoDBTable

VERSION_DIGITS = 6


def forms_pk(provider_id: str) -> str:
    return f"PROVIDER#{provider_id}#FORMS"


def form_sk(version: int) -> str:
    return f"FORM#{version:0{VERSION_DIGITS}d}"


class DynamoDBProviderForms:
    def __init__(self, table: DynamoDBTable) -> None:
        self._table = table.name
        self._client = table.client

    def add(self, form: ProviderForm) -> None:
        from botocore.exceptions import ClientError

        try:
            self._client().put_item(
                TableName=self._table,
                Item={
                    "pk": s(forms_pk(form.provider_id)),
                    "sk": s(form_sk(form.version)),
                    "doc": s(form.model_dump_json()),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise AlreadyExists(f"form version {form.version} exists") from None
            raise

    def get(self, provider_id: str, version: int) -> ProviderForm | None:
        item = (
            self._client()
            .get_item(
                TableName=self._table,
                Key={"pk": s(forms_pk(provider_id)), "sk": s(form_sk(version))},
            )
            .get("Item")
        )
        return ProviderForm.model_validate_json(text(item, "doc")) if item else None

    def current(self, provider_id: str) -> ProviderForm | None:
        items = (
            self._client()
            .query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :form)",
                ExpressionAttributeValues={":pk": s(forms_pk(provider_id)), ":form": s("FORM#")},
                ScanIndexForward=False,
                Limit=1,
                # A cache that saw the catalog generation change must read the change.
                ConsistentRead=True,
            )
            .get("Items", [])
        )
        return ProviderForm.model_validate_json(text(items[0], "doc")) if items else None
