"""Order-event poller: a scheduled function that pulls each asynchronous city network's
order events (ON-API `orderevents`) and applies them to our orders
(`chalicelib.domain.activation.network_events.poll_order_updates`). A second scheduled
function, every 15 minutes, keeps the address search's directory in step with each ON-API
network's access list (`chalicelib.domain.accesses.sync_accesses`): its own function, as a
network's first full list may take longer than a minute's poll should.

Thin on purpose: for every ON-API city network in the catalog, its client from the
registry, one pull inside its own log correlation, the result logged. One network's
failure does not stop the others: it is logged and the next one is polled. The run raises
at the end when any network failed, so Lambda's Errors metric (and its alarm) sees it.

What counts as failed: the poll raised (store, catalog or secrets down), the network's
client has no order feed, or the network refused the pull (bad credentials, a wrong
address: a person must look). A transient pull (timeout, 5xx) is not: the domain logs it,
the cursor stays, and the next tick a minute later reads the same events again.

Applying is idempotent and the cursor moves only after a page is applied, so an overlapping
or repeated run reads some events twice and changes nothing more
(docs/architecture.md, "City networks by protocol").
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Rate

if TYPE_CHECKING:
    from chalice.app import CloudWatchEvent

    from chalicelib.domain.ports import Deps

bp = Blueprint(__name__)

# A poll's outcomes that need a person; "ok" and "transient" do not.
FAILED = frozenset({"failed", "no_feed", "refused"})


class PollFailed(Exception):
    """Some city networks could not be polled (each is logged with its reason)."""


def poll_city_networks(deps: Deps, run_id: str) -> dict[str, str]:
    """One pull of every ON-API city network's order events; city network id → outcome:
    the pull's own (`ok`, `transient`, `refused`), `no_feed` or `failed` (it raised)."""
    from chalicelib.domain.activation.network_events import poll_order_updates
    from chalicelib.domain.citynet import OrderUpdatesFeed
    from chalicelib.domain.models import ON_API
    from chalicelib.logs import correlated

    outcomes: dict[str, str] = {}
    for city_network in deps.catalog.list_city_networks():
        if city_network.protocol != ON_API:
            continue
        network_id = city_network.id
        with correlated(run_id, city_network_id=network_id) as log:
            try:
                client = deps.city_networks.for_city_network(network_id)
                if not isinstance(client, OrderUpdatesFeed):
                    log.error("the city network's client has no order-event feed")
                    outcomes[network_id] = "no_feed"
                    continue
                polled = poll_order_updates(network_id, client, deps)
            except Exception:
                log.exception("polling the city network's order events failed")
                outcomes[network_id] = "failed"
                continue
            outcomes[network_id] = polled.outcome
            # An empty pull is most of them (one a minute per network): DEBUG only.
            quiet = polled.outcome == "ok" and not (polled.applied or polled.skipped)
            (log.debug if quiet else log.info)(
                "city network's order events polled",
                extra={
                    "outcome": polled.outcome,
                    "applied": polled.applied,
                    "skipped": polled.skipped,
                },
            )
    return outcomes


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def poll_city_network_events(event: CloudWatchEvent) -> dict[str, str]:
    from chalicelib.composition import adapters
    from chalicelib.logs import logger

    run_id = event.event_id or "poll_" + secrets.token_hex(8)
    outcomes = poll_city_networks(adapters(), run_id)
    failed = sorted(network for network, outcome in outcomes.items() if outcome in FAILED)
    if failed:
        logger().error("order events not polled", extra={"city_network_ids": failed})
        raise PollFailed(f"order events not polled for: {', '.join(failed)}")
    return outcomes


def sync_city_networks(deps: Deps, run_id: str) -> dict[str, str]:
    """One sync of every ON-API city network's access list into the directory; city
    network id → outcome, as `poll_city_networks` reports them."""
    from chalicelib.domain.accesses import sync_accesses
    from chalicelib.domain.addresses import AccessListingFeed
    from chalicelib.domain.models import ON_API
    from chalicelib.logs import correlated

    outcomes: dict[str, str] = {}
    for city_network in deps.catalog.list_city_networks():
        if city_network.protocol != ON_API:
            continue
        network_id = city_network.id
        with correlated(run_id, city_network_id=network_id) as log:
            try:
                client = deps.city_networks.for_city_network(network_id)
                if not isinstance(client, AccessListingFeed):
                    log.error("the city network's client has no access list")
                    outcomes[network_id] = "no_feed"
                    continue
                synced = sync_accesses(network_id, client, deps)
            except Exception:
                log.exception("syncing the city network's access list failed")
                outcomes[network_id] = "failed"
                continue
            outcomes[network_id] = synced.outcome
            (log.info if synced.written else log.debug)(
                "city network's access list synced",
                extra={
                    "outcome": synced.outcome,
                    "received": synced.received,
                    "written": synced.written,
                    "skipped": synced.skipped,
                },
            )
    return outcomes


@bp.schedule(Rate(15, unit=Rate.MINUTES))
def sync_city_network_accesses(event: CloudWatchEvent) -> dict[str, str]:
    from chalicelib.composition import adapters
    from chalicelib.logs import logger

    run_id = event.event_id or "sync_" + secrets.token_hex(8)
    outcomes = sync_city_networks(adapters(), run_id)
    failed = sorted(network for network, outcome in outcomes.items() if outcome in FAILED)
    if failed:
        logger().error("access lists not synced", extra={"city_network_ids": failed})
        raise PollFailed(f"access lists not synced for: {', '.join(failed)}")
    return outcomes
