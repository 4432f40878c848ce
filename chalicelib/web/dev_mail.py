"""GET /_dev/mail: the mails the local stack sent (through SES on moto), oldest first, so
a person or a browser test can read them. Only when STAGE=local; a 404 everywhere else."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from ..settings import LOCAL_STAGE

bp = Blueprint(__name__)

NOT_FOUND = {"error": {"code": "not_found", "message": "no such resource"}}


@bp.route("/_dev/mail", methods=["GET"])
def dev_mail() -> Response:
    from ..composition import adapters

    deps = adapters()
    if deps.settings.stage != LOCAL_STAGE:
        return Response(body=NOT_FOUND, status_code=404)
    return Response(
        body={"messages": deps.sent_mail()},
        status_code=200,
        headers={"Cache-Control": "no-store"},
    )
