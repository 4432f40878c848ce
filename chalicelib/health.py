"""GET /healthz: can this deployment reach its store, its queues and each city network?"""

from __future__ import annotations

from chalice.app import Blueprint, Response

bp = Blueprint(__name__)


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    from .adapters import probes
    from .config import settings
    from .wiring import services

    config = settings()
    components: dict[str, str | None] = {
        "store": probes.table_problem(config.table_name),
        "activation_queue": probes.queue_problem(config.activation_queue_url),
        "webhook_queue": probes.queue_problem(config.webhook_queue_url),
    }
    for city_network in services().deps.catalog.list_city_networks():
        components[f"city_network:{city_network.id}"] = probes.http_problem(city_network.api_url)
    body = {
        "status": "ok" if not any(components.values()) else "degraded",
        "components": {name: problem or "ok" for name, problem in components.items()},
    }
    return Response(body=body, status_code=200 if body["status"] == "ok" else 503)
