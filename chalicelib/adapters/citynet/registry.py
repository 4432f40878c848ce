"""City-network clients by id: one client, and so one pooled session, per city network
while its API address and credentials stay the same. Built lazily: the catalog may gain
city networks after start.

Both are asked for on every use. The catalog and the secrets adapter keep their own short
caches (30 s and 5 min when deployed), so asking is cheap, and a moved API or rotated
credentials reach a warm process within those times instead of at its next cold start.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...domain.citynet import CityNetworkClient
from ...domain.models import ON_API, CityNetwork
from ...domain.ports import Catalog, Secrets
from .direct_activation import DirectActivationClient

if TYPE_CHECKING:
    from .on_api.network import OnApiCityNetwork


@dataclass(frozen=True)
class _Built:
    # What the client was built from: a change to any of them builds a new one.
    source: tuple[str, str, str]
    client: DirectActivationClient | OnApiCityNetwork


class CityNetworkRegistry:
    """CityNetworkClients over the catalog. Unknown ids raise the catalog's NotFound; a
    missing secret raises the secrets adapter's NotFound."""

    def __init__(
        self,
        catalog: Catalog,
        secrets: Secrets,
        *,
        deadline_s: float,
        max_reply_bytes: int,
    ) -> None:
        self._catalog = catalog
        self._secrets = secrets
        self._deadline_s = deadline_s
        self._max_reply_bytes = max_reply_bytes
        self._built: dict[str, _Built] = {}
        self._lock = threading.Lock()

    def for_city_network(self, city_network_id: str) -> CityNetworkClient:
        city_network = self._catalog.get_city_network(city_network_id)
        # ON-API reads its credentials on every call itself; Direct Activation's client holds
        # them, so a rotation builds it afresh.
        credentials = (
            ""
            if city_network.protocol == ON_API
            else self._secrets.get(city_network.credentials_ref)
        )
        source = (city_network.protocol, city_network.api_url, credentials)
        with self._lock:
            built = self._built.get(city_network_id)
            if built is not None and built.source == source:
                return built.client
            client = self._build(city_network, credentials)
            self._built[city_network_id] = _Built(source, client)
        if built is not None:
            # Closes its idle pooled connections; a call still using the old client finishes.
            built.client.close()
        return client

    def _build(
        self, city_network: CityNetwork, credentials: str
    ) -> DirectActivationClient | OnApiCityNetwork:
        if city_network.protocol == ON_API:
            from .on_api.client import OnApiClient
            from .on_api.network import OnApiCityNetwork

            return OnApiCityNetwork(
                OnApiClient(
                    city_network.id,
                    city_network.api_url,
                    self._secrets,
                    city_network.credentials_ref,
                    deadline_s=self._deadline_s,
                    max_reply_bytes=self._max_reply_bytes,
                )
            )
        return DirectActivationClient(
            city_network.id,
            city_network.api_url,
            credentials,
            deadline_s=self._deadline_s,
            max_reply_bytes=self._max_reply_bytes,
        )
