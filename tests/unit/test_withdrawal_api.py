"""The provider API's description of a withdrawal: the OpenAPI document (generated from the
schemas) names `withdrawal`, `deactivation` and the `order.withdrawn` webhook event."""

from __future__ import annotations

import json

from openapi_spec_validator import validate

from chalicelib.api.routes import openapi_document


def test_the_openapi_document_describes_the_withdrawal_and_the_deactivation():
    document = openapi_document()
    validate(document)
    schemas = document["components"]["schemas"]
    order = schemas["OrderOut"]["properties"]
    assert "order.withdrawn" in order["withdrawal"]["description"]
    assert "deactivation" in order
    withdrawal = schemas["WithdrawalView"]["properties"]
    assert set(withdrawal) == {"at", "by", "reason"}
    deactivation = schemas["DeactivationView"]["properties"]
    assert set(deactivation) == {"state", "attempts", "updated_at", "reason"}
    assert "not_needed" in json.dumps(schemas["DeactivationView"])


def test_the_openapi_document_lists_order_withdrawn_among_the_webhook_events():
    text = json.dumps(openapi_document())
    assert "order.withdrawn" in text
    kinds = openapi_document()["components"]["schemas"]["OrderEventKind"]["enum"]
    assert {"withdrawn", "deactivation_changed"} <= set(kinds)
