"""Customer web blueprint: translates HTTP to the flows in this package, nothing more."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from chalice.app import Blueprint, Response

bp = Blueprint(__name__)

FORM_POST = ["application/x-www-form-urlencoded"]
STATIC = Path(__file__).parent / "static"


def _handle(flow: Callable[..., Response], *args: str) -> Response:
    from ..composition import adapters
    from ..logs import correlated, request_id
    from .errors import error_response
    from .visit import start_visit

    request = bp.current_request
    with correlated(request_id(request.context)):
        try:
            return flow(start_visit(request, adapters()), *args)
        except Exception as error:
            return error_response(error, request)


@bp.route("/", methods=["GET"])
def landing() -> Response:
    from . import identification

    return _handle(identification.landing)


@bp.route("/identify/callback", methods=["GET"])
def identify_callback() -> Response:
    from . import identification

    return _handle(identification.callback)


@bp.route("/identify/on-api", methods=["GET"])
def identify_on_api() -> Response:
    from . import portal

    return _handle(portal.hand_over)


@bp.route("/unidentified", methods=["GET"])
def about_not_ordering_from_home() -> Response:
    from . import identification

    return _handle(identification.about_not_ordering_from_home)


@bp.route("/unidentified", methods=["POST"], content_types=FORM_POST)
def not_ordering_from_home() -> Response:
    from . import identification

    return _handle(identification.not_ordering_from_home)


@bp.route("/offers", methods=["GET"])
def offers() -> Response:
    from .offers import show_offers

    return _handle(show_offers)


@bp.route("/offers/{offer_id}/summary", methods=["GET"])
def contract_summary(offer_id: str) -> Response:
    from .summary import show_summary

    return _handle(show_summary, offer_id)


@bp.route("/withdrawal-form", methods=["GET"])
def withdrawal_form() -> Response:
    from .summary import show_withdrawal_form

    return _handle(show_withdrawal_form)


@bp.route("/order/{offer_id}", methods=["GET"])
def order_form(offer_id: str) -> Response:
    from .order_form import show_form

    return _handle(show_form, offer_id)


@bp.route("/order/{offer_id}", methods=["POST"], content_types=FORM_POST)
def submit_order(offer_id: str) -> Response:
    from .order_form import submit_form

    return _handle(submit_form, offer_id)


@bp.route("/address", methods=["GET"])
def address_search() -> Response:
    from .address_search import search

    return _handle(search)


@bp.route("/address/offers", methods=["GET"])
def address_offers() -> Response:
    from .address_search import show_offers

    return _handle(show_offers)


@bp.route("/address/order/{offer_id}", methods=["GET"])
def address_order_form(offer_id: str) -> Response:
    from .address_orders import show_form

    return _handle(show_form, offer_id)


@bp.route("/address/order/{offer_id}", methods=["POST"], content_types=FORM_POST)
def submit_address_order(offer_id: str) -> Response:
    from .address_orders import submit_form

    return _handle(submit_form, offer_id)


@bp.route("/orders/{order_id}", methods=["GET"])
def receipt(order_id: str) -> Response:
    from .receipts import show_receipt

    return _handle(show_receipt, order_id)


@bp.route("/orders/{order_id}/withdraw", methods=["GET"])
def withdrawal_confirmation(order_id: str) -> Response:
    from .withdrawal import show_confirmation

    return _handle(show_confirmation, order_id)


@bp.route("/orders/{order_id}/withdraw", methods=["POST"], content_types=FORM_POST)
def withdrawal(order_id: str) -> Response:
    from .withdrawal import submit_withdrawal

    return _handle(submit_withdrawal, order_id)


@bp.route("/documents/{provider_id}/{kind}/{version}", methods=["GET"])
def provider_document(provider_id: str, kind: str, version: str) -> Response:
    from .review import show_document

    return _handle(show_document, provider_id, kind, version)


@bp.route("/preview/form/{provider_id}", methods=["GET"])
def form_preview(provider_id: str) -> Response:
    from .preview import show_preview

    return _handle(show_preview, provider_id)


@cache
def _stylesheet() -> str:
    return (STATIC / "site.css").read_text(encoding="utf-8")


@bp.route("/static/site.css", methods=["GET"])
def stylesheet() -> Response:
    return Response(
        body=_stylesheet(),
        headers={
            "Content-Type": "text/css; charset=utf-8",
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        },
    )
