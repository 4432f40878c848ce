"""City-network clients by id: one client, and so one pooled session, per city network
for the life of the process. Built lazily: the catalog may gain city networks after start."""

from __future__ import annotations

import threading

from ...domain.ports import Catalog, Secrets
from .direct_activation import DirectActivationClient


class CityNetworkRegistry:
    """CityNetworkClients over the catalog. Unknown ids raise the catalog's NotFound; a
    missing secret raises the secrets adapter's NotFound."""

    def __init__(
        self,
        catalog: Catalog,
        secrets: Secrets,
        *,
        deadline_s: float | None = None,
        max_reply_bytes: int | None = None,
    ) -> None:
        self._catalog = catalog
        self._secrets = secrets
        self._deadline_s = deadline_s
        self._max_reply_bytes = max_reply_bytes
        self._clients: dict[str, DirectActivationClient] = {}
        self._lock = threading.Lock()

    def for_city_network(self, city_network_id: str) -> DirectActivationClient:
        client = self._clients.get(city_network_id)
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(city_network_id)
            if client is None:
                client = self._build(city_network_id)
                self._clients[city_network_id] = client
            return client

    def _build(self, city_network_id: str) -> DirectActivationClient:
        city_network = self._catalog.get_city_network(city_network_id)
        # Only Direct Activation 1.1 exists today; ON-API will branch on `protocol` here.
        return DirectActivationClient(
            city_network.id,
            city_network.api_url,
            self._secrets.get(city_network.credentials_ref),
            deadline_s=self._deadline_s,
            max_reply_bytes=self._max_reply_bytes,
        )
