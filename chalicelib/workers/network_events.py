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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Rate

if TYPE_CHECKING:
    from chalice.app import CloudWatchEvent

    from chalicelib.domain.ports import Deps

bp = Blueprint(__name__)

# A poll's outcomes that need a person; "ok" and "transient" do not.
FAILED = frozenset({"failed", "no_feed", "refused"})


class PollFailed(Exception):
    """Some city networks could not be polled (each is logged with its reason)."""


def each_on_api_network(
    deps: Deps, run_id: str, feed: type, what: str, job: Callable[[str, Any], Any]
) -> dict[str, tuple[str, Any]]:
    """Run `job(city_network_id, client)` for every ON-API city network whose client is a
    `feed`, each inside its own log correlation; city network id → (outcome, result).
    The outcome is the job's own (`ok`, `transient`, `refused`), `no_feed` or `failed`
    (it raised; logged, and the next network is still done)."""
    from chalicelib.domain.models import ON_API
    from chalicelib.logs import correlated

    done: dict[str, tuple[str, Any]] = {}
    for city_network in deps.catalog.list_city_networks():
        if city_network.protocol != ON_API:
            continue
        network_id = city_network.id
        with correlated(run_id, city_network_id=network_id) as log:
            try:
                client = deps.city_networks.for_city_network(network_id)
                if not isinstance(client, feed):
                    log.error(f"the city network's client has no {what}")
                    done[network_id] = ("no_feed", None)
                    continue
                result = job(network_id, client)
            except Exception:
                log.exception(f"the city network's {what} failed")
                done[network_id] = ("failed", None)
                continue
            done[network_id] = (result.outcome, result)
    return done


def _raise_for_failures(outcomes: dict[str, str], what: str) -> None:
    from chalicelib.logs import logger

    failed = sorted(network for network, outcome in outcomes.items() if outcome in FAILED)
    if failed:
        logger().error(f"{what} failed", extra={"city_network_ids": failed})
        raise PollFailed(f"{what} failed for: {', '.join(failed)}")


def poll_city_networks(deps: Deps, run_id: str) -> dict[str, str]:
    """One pull of every ON-API city network's order events; city network id → outcome."""
    from chalicelib.domain.activation.network_events import poll_order_updates
    from chalicelib.domain.citynet import OrderUpdatesFeed
    from chalicelib.logs import logger

    def poll(network_id: str, client: Any) -> Any:
        polled = poll_order_updates(network_id, client, deps)
        # An empty pull is most of them (one a minute per network): DEBUG only.
        quiet = polled.outcome == "ok" and not (polled.applied or polled.skipped)
        (logger().debug if quiet else logger().info)(
            "city network's order events polled",
            extra={"outcome": polled.outcome, "applied": polled.applied, "skipped": polled.skipped},
        )
        return polled

    done = each_on_api_network(deps, run_id, OrderUpdatesFeed, "order-event feed", poll)
    return {network: outcome for network, (outcome, _) in done.items()}


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def poll_city_network_events(event: CloudWatchEvent) -> dict[str, str]:
    from chalicelib.composition import adapters

    outcomes = poll_city_networks(adapters(), event.event_id or "poll_" + secrets.token_hex(8))
    _raise_for_failures(outcomes, "polling order events")
    return outcomes


def sync_city_networks(deps: Deps, run_id: str) -> dict[str, str]:
    """One sync of every ON-API city network's access list into the directory; city
    network id → outcome, as `poll_city_networks` reports them."""
    from chalicelib.domain.accesses import sync_accesses
    from chalicelib.domain.addresses import AccessListingFeed
    from chalicelib.logs import logger

    def sync(network_id: str, client: Any) -> Any:
        synced = sync_accesses(network_id, client, deps)
        (logger().info if synced.written else logger().debug)(
            "city network's access list synced",
            extra={
                "outcome": synced.outcome,
                "received": synced.received,
                "written": synced.written,
                "skipped": synced.skipped,
            },
        )
        return synced

    done = each_on_api_network(deps, run_id, AccessListingFeed, "access list", sync)
    return {network: outcome for network, (outcome, _) in done.items()}


@bp.schedule(Rate(15, unit=Rate.MINUTES))
def sync_city_network_accesses(event: CloudWatchEvent) -> dict[str, str]:
    from chalicelib.composition import adapters

    outcomes = sync_city_networks(adapters(), event.event_id or "sync_" + secrets.token_hex(8))
    _raise_for_failures(outcomes, "syncing access lists")
    return outcomes
