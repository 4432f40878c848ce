"""Where the one table is: its name and the connection its client is made on (lazily, see
adapters/aws_clients.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..aws_clients import AwsConnection


@dataclass(frozen=True)
class DynamoDBTable:
    name: str
    connection: AwsConnection = field(default_factory=AwsConnection)

    def client(self) -> Any:
        return self.connection.client("dynamodb")
