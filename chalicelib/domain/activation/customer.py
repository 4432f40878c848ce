"""The first activation attempt of an identified customer's order, made while the customer
waits for the receipt (scenario 1 and 2; a transient fault hands it to the worker)."""

from __future__ import annotations

import logging

from ..clock import today_in_sweden
from ..models import Order
from ..ports import Deps
from .messages import ActivationMessage
from .recording import record_activation
from .replies import activation_after_reply
from .retries import queue_next_step, wait_after
from .service_orders import order_service

logger = logging.getLogger(__name__)


def activate_new_order(order: Order, deps: Deps) -> Order:
    """One `service_order` for a new `pending` order; the order as it is afterwards."""
    if order.city_network_id is None or order.access_id is None:
        raise ValueError("only an identified order is activated")
    today = today_in_sweden(deps.clock)
    activation_date = order.activation.requested_date or today
    step = ActivationMessage(
        order_id=order.id,
        attempt_id=order.activation.attempt_id or "",
        origin="customer",
        activation_date=activation_date,
    )
    client = deps.city_networks.for_city_network(order.city_network_id)
    result = order_service(client, order, activation_date, origin="customer")
    logger.info(
        "service_order %s in %s ms",
        result.outcome,
        result.duration_ms,
        extra={"order_id": order.id, "code": result.code},
    )
    outcome = activation_after_reply(
        order.activation, result, requested=activation_date, today=today, now=deps.clock.now()
    )
    try:
        recorded = record_activation(
            order,
            lambda _: outcome.activation,
            calls=[result],
            attempt_id=order.activation.attempt_id,
            actor="system",
            deps=deps,
        )
    except Exception:
        # The call may have activated the service but we could not record it. The worker
        # reconciles through port_status before ordering again, so hand it the order.
        logger.exception("could not record the activation reply", extra={"order_id": order.id})
        _hand_to_the_worker(step, deps)
        return order
    if outcome.transient:
        _hand_to_the_worker(step, deps)
    return recorded or order


def _hand_to_the_worker(step: ActivationMessage, deps: Deps) -> None:
    wait = wait_after(step)
    try:
        queue_next_step(step, wait if wait is not None else 0, deps)
    except Exception:
        # The order stays stored as `pending`, visible to its provider; an operator must
        # look at this error (it is logged with the order id).
        logger.exception("could not queue the activation retry", extra={"order_id": step.order_id})
