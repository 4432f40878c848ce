"""Does a city network's bounce server answer at all? Asked before a visitor is sent there,
so a bounce server that is down leaves visitors unidentified instead of stranded."""

from __future__ import annotations

import logging
import threading
import time

from ...domain.models import CityNetwork

logger = logging.getLogger(__name__)

PROBE_CACHE_S = 60.0


class BounceProbe:
    """Any HTTP reply within the deadline counts; the answer is remembered for a minute per
    city network so visitors do not each wait."""

    def __init__(self, *, deadline_s: float, ttl_s: float = PROBE_CACHE_S) -> None:
        self._deadline_s = deadline_s
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[float, bool]] = {}

    def answers(self, city_network: CityNetwork) -> bool:
        now = time.monotonic()
        with self._lock:
            cached = self._answers.get(city_network.id)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        alive = self.probe(city_network.bounce_url)
        if not alive:
            logger.warning(
                "bounce server did not answer; visitors continue unidentified",
                extra={"city_network_id": city_network.id},
            )
        with self._lock:
            self._answers[city_network.id] = (time.monotonic(), alive)
        return alive

    def probe(self, url: str) -> bool:
        import requests

        deadline = self._deadline_s
        try:
            requests.head(url, timeout=(deadline, deadline), allow_redirects=False).close()
        except requests.RequestException:
            return False
        return True

    def forget(self) -> None:
        with self._lock:
            self._answers.clear()
