"""GET /healthz: can this deployment reach its store, its queues and each city network?"""

from __future__ import annotations

from chalice.app import Blueprint, Response

bp = Blueprint(__name__)


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    from .composition import adapters

    components = adapters().component_problems()
    body = {
        "status": "ok" if not any(components.values()) else "degraded",
        "components": {name: problem or "ok" for name, problem in components.items()},
    }
    return Response(body=body, status_code=200 if body["status"] == "ok" else 503)
