"""A second OS process for test_offer_versions_store.py: a warm CachedCatalog over DynamoDB
on moto's server (AWS_ENDPOINT_URL from the environment) that reads an offer's price for
each "view" line on stdin, as each page view of a warm Lambda would."""

from __future__ import annotations

import sys

from chalicelib.adapters.cached_catalog import CachedCatalog
from chalicelib.adapters.dynamodb.catalog import DynamoDBCatalog
from tests.aws import table


def main(table_name: str, offer_id: str) -> None:
    catalog = CachedCatalog(DynamoDBCatalog(table(table_name)), ttl_s=3600)
    for line in sys.stdin:
        if line.strip() != "view":
            break
        catalog.begin_request()
        print(catalog.get_offer(offer_id).monthly_price_sek, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
