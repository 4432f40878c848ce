"""The local table-stream relay hands every committed write to the app's stream handlers,
as Lambda's event source mapping would, and keeps doing so after moto rolls a failed
transaction back (moto replaces the table, stream included, with a copy)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from chalice.app import Chalice

from infra.local.streams import StreamPoller
from tests import aws


def recording_app(seen: list[str], stream_arn: str) -> Chalice:
    app = Chalice(app_name="stream-test")

    @app.on_dynamodb_record(stream_arn=stream_arn, batch_size=10)
    def relay(event: Any) -> None:
        seen.extend(record.keys["pk"]["S"] for record in event)

    return app


@pytest.fixture
def table_with_stream(moto_endpoint: str) -> str:
    client = aws.dynamodb_client()
    name = f"streams-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name


def put(table: str, pk: str) -> None:
    aws.dynamodb_client().put_item(TableName=table, Item={"pk": {"S": pk}})


def test_writes_after_a_rolled_back_transaction_still_reach_the_handler(table_with_stream):
    # Given a relay that has handed one write to the handler
    client = aws.dynamodb_client()
    arn = client.describe_table(TableName=table_with_stream)["Table"]["LatestStreamArn"]
    seen: list[str] = []
    poller = StreamPoller(recording_app(seen, arn), arn)
    put(table_with_stream, "first")
    poller.drain()
    assert seen == ["first"]

    # When a transaction fails on its condition after writing another item, and then a
    # plain write follows
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table_with_stream, "Item": {"pk": {"S": "rolled-back"}}}},
                {
                    "Put": {
                        "TableName": table_with_stream,
                        "Item": {"pk": {"S": "first"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    put(table_with_stream, "after")
    poller.drain()

    # Then the handler sees the later write, and never the rolled-back one
    assert seen == ["first", "after"]
