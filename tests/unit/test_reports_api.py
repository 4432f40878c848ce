"""GET /tl/v1/reports/orders and /reports/orders/totals over Chalice's test client, with
in-memory adapters: JSON and CSV, paging, a wrong month, and isolation by provider."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from chalicelib.domain.models import ActivationState, Withdrawal
from tests.unit import test_provider_api as provider_api
from tests.unit.test_provider_api import A, B, World, body_of

from .provider_factories import T0

world = provider_api.world  # the provider API tests' world: keys for A and B
MONTH = "2025-03"  # T0's month


def header(response: Any, name: str) -> str:
    return {k.lower(): v for k, v in response.headers.items()}[name]


def rows_of(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.body.decode())))


def test_the_report_lists_the_months_orders_oldest_first_as_json(world: World):
    first = world.order(A, activation_state=ActivationState.ACTIVATED)
    second = world.order(A, withdrawal=Withdrawal(at=T0))

    response = world.get(f"/reports/orders?month={MONTH}")

    assert response.status_code == 200
    assert header(response, "content-type").startswith("application/json")
    body = body_of(response)
    assert body["month"] == MONTH and body["next_cursor"] is None
    assert [r["order_id"] for r in body["items"]] == [first.id, second.id]
    row = body["items"][1]
    assert row["refusal_code"] == "409" and row["withdrawal_date"] == "2025-03-03"
    assert row["service_uid"] == "BB100" and row["access_id"] == first.access_id


def test_another_providers_orders_never_appear(world: World):
    mine = world.order(A)
    theirs = world.order(B)

    body = body_of(world.get(f"/reports/orders?month={MONTH}"))
    totals = body_of(world.get(f"/reports/orders/totals?month={MONTH}"))
    as_csv = world.get(f"/reports/orders?month={MONTH}", accept="text/csv")

    assert [r["order_id"] for r in body["items"]] == [mine.id]
    assert theirs.id not in json.dumps(body) and B not in json.dumps(totals)
    assert theirs.id not in as_csv.body.decode()
    assert totals["orders"] == 1


def test_accept_text_csv_gives_a_csv_with_a_header_row(world: World):
    order = world.order(A)

    response = world.get(f"/reports/orders?month={MONTH}", accept="text/csv")

    assert response.status_code == 200
    assert header(response, "content-type") == "text/csv; charset=utf-8"
    assert 'filename="orders-2025-03.csv"' in header(response, "content-disposition")
    [record] = rows_of(response)
    assert record["order_id"] == order.id and record["refusal_code"] == "409"


def test_json_is_chosen_when_accept_prefers_it(world: World):
    world.order(A)
    response = world.get(f"/reports/orders?month={MONTH}", accept="application/json, text/csv")
    assert header(response, "content-type").startswith("application/json")


def test_pages_carry_next_cursor_and_csv_pages_the_x_next_cursor_header(world: World):
    ids = [world.order(A).id for _ in range(5)]

    first = body_of(world.get(f"/reports/orders?month={MONTH}&limit=2"))
    second = world.get(
        f"/reports/orders?month={MONTH}&limit=2&cursor={first['next_cursor']}", accept="text/csv"
    )
    third = body_of(
        world.get(f"/reports/orders?month={MONTH}&limit=2&cursor={header(second, 'x-next-cursor')}")
    )

    seen = [r["order_id"] for r in first["items"]]
    seen += [r["order_id"] for r in rows_of(second)]
    seen += [r["order_id"] for r in third["items"]]
    assert seen == ids and third["next_cursor"] is None


def test_another_providers_cursor_is_a_400(world: World):
    for _ in range(3):
        world.order(B)
    cursor = body_of(world.get(f"/reports/orders?month={MONTH}&limit=1", provider=B))["next_cursor"]
    response = world.get(f"/reports/orders?month={MONTH}&limit=1&cursor={cursor}")
    assert response.status_code == 400


@pytest.mark.parametrize("month", ["2025-13", "2025-3", "march", "", "2025-03-01"])
@pytest.mark.parametrize("path", ["/reports/orders", "/reports/orders/totals"])
def test_a_wrong_month_is_a_400_naming_the_field(world: World, month: str, path: str):
    response = world.get(f"{path}?month={month}")
    assert response.status_code == 400
    error = body_of(response)["error"]
    assert error["code"] == "invalid_month"
    assert error["details"][0]["field"] == "query.month"


def test_a_missing_month_is_refused(world: World):
    response = world.get("/reports/orders")
    assert response.status_code == 422
    assert body_of(response)["error"]["details"][0]["field"] == "query.month"


def test_totals_per_offer_over_the_whole_month_as_json_and_csv(world: World):
    world.order(A, activation_state=ActivationState.ACTIVATED)
    world.order(A, activation_state=ActivationState.ACTIVATED, withdrawal=Withdrawal(at=T0))
    world.order(A)  # refused

    totals = body_of(world.get(f"/reports/orders/totals?month={MONTH}"))
    as_csv = world.get(f"/reports/orders/totals?month={MONTH}", accept="text/csv")

    assert totals["complete"] is True and totals["orders"] == 3
    assert totals["offers"] == [
        {"offer_id": f"{A}-internet-100", "orders": 3, "activated": 2, "withdrawn": 1, "refused": 1}
    ]
    assert rows_of(as_csv) == [
        {"offer_id": f"{A}-internet-100", "orders": "3", "activated": "2", "withdrawn": "1",
         "refused": "1"}
    ]  # fmt: skip


def test_the_report_operations_need_a_key_and_are_documented(world: World):
    assert world.client.http.get(f"/tl/v1/reports/orders?month={MONTH}").status_code == 401
    document = body_of(world.client.http.get("/tl/v1/openapi.json"))
    report = document["paths"]["/reports/orders"]["get"]
    assert set(report["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    params = {p["name"]: p for p in report["parameters"]}
    assert params["month"]["required"] is True
    assert params["month"]["schema"]["pattern"] == r"^2[0-9]{3}-(0[1-9]|1[0-2])$"
    assert set(params) == {"month", "limit", "cursor"}
    assert "400" in report["responses"]
    assert "/reports/orders/totals" in document["paths"]


def test_an_order_of_another_month_is_not_in_the_report(world: World):
    march = world.order(A)
    world.clock.advance(days=31)
    april = world.order(A)

    in_march = body_of(world.get(f"/reports/orders?month={MONTH}"))["items"]
    in_april = body_of(world.get("/reports/orders?month=2025-04"))["items"]

    assert [r["order_id"] for r in in_march] == [march.id]
    assert [r["order_id"] for r in in_april] == [april.id]
