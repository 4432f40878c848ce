"""The address search's directory: each ON-API network's access list kept in step, and a
visitor's typed address looked up in it (docs/architecture.md, "Address search").

The sync reads the list with If-Modified-Since = the Last-Modified stored by the previous
sync: a network with nothing new answers 304 and nothing is written. Of the rows that come,
only those that differ from the stored entry are written, and the Last-Modified is stored
only after they are, so a sync that fails part-way is read again whole the next time.
An access the network stops listing stays in the directory (the list says nothing of
removals); the check at order time is the network's own `service_deliverable`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .addresses import AccessListingFeed, ListedAccess, parse_address_query
from .errors import NotFound
from .ports import Deps

logger = logging.getLogger(__name__)

# What one search reads from the directory, and how many matches a page shows.
SEARCH_READ_LIMIT = 500
MAX_MATCHES = 30


@dataclass(frozen=True)
class SyncResult:
    outcome: str  # the read's own: ok, refused or transient
    received: int = 0  # rows read (0 when nothing changed: 304)
    written: int = 0  # rows that differed from the directory's and were written
    skipped: int = 0  # rows that could not be read or kept
    modified: bool = True


def sync_accesses(city_network_id: str, feed: AccessListingFeed, deps: Deps) -> SyncResult:
    """One read of `city_network_id`'s access list; its new and changed rows written."""
    directory = deps.access_directory
    since = directory.last_modified(city_network_id)
    listing = feed.access_rows(since)
    if listing.outcome != "ok":
        logger.warning(
            "access list could not be read",
            extra={"city_network_id": city_network_id, "code": listing.code},
        )
        return SyncResult(listing.outcome)
    if not listing.modified:
        return SyncResult("ok", modified=False)
    # A network that lists an access twice: its last row is what it says now.
    latest = {access.access_id: access for access in listing.accesses}
    stored = directory.get_many(city_network_id, list(latest))
    changed = [access for access_id, access in latest.items() if stored.get(access_id) != access]
    if changed:
        directory.put(city_network_id, changed, replacing=stored)
    if listing.last_modified and listing.last_modified != since:
        directory.set_last_modified(city_network_id, listing.last_modified)
    logger.info(
        "access list synced",
        extra={
            "city_network_id": city_network_id,
            "received": len(listing.accesses),
            "written": len(changed),
            "skipped": listing.skipped,
        },
    )
    return SyncResult(
        "ok", received=len(listing.accesses), written=len(changed), skipped=listing.skipped
    )


@dataclass(frozen=True)
class SearchResult:
    matches: tuple[ListedAccess, ...] = ()
    # No street name could be read from what was typed: the visitor is asked for one.
    unreadable: bool = False
    # More matched than a page shows: the visitor is asked for more of the address.
    more: bool = False


def search_accesses(city_network_id: str, typed: str, deps: Deps) -> SearchResult:
    """The accesses of `city_network_id` at the address the visitor typed: one range read
    of the directory by street (and number), then apartment, postal code and city."""
    query = parse_address_query(typed)
    if query is None:
        return SearchResult(unreadable=True)
    read = deps.access_directory.search(
        city_network_id, query.key_prefix(), limit=SEARCH_READ_LIMIT
    )
    matches = [access for access in read if query.matches(access)]
    more = len(matches) > MAX_MATCHES or len(read) >= SEARCH_READ_LIMIT
    return SearchResult(matches=tuple(matches[:MAX_MATCHES]), more=more)


def listed_access(city_network_id: str, access_id: str, deps: Deps) -> ListedAccess:
    """The directory's entry of one access; NotFound when the network does not list it."""
    found = deps.access_directory.get(city_network_id, access_id)
    if found is None:
        raise NotFound("the city network does not list this access")
    return found
