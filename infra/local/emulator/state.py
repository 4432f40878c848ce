"""What the emulated city network remembers while it runs: the services on each port, the
counters behind `refuse_first` and `fail_first`, and the record of every call.

One lock guards it all; handler threads only hold it for dictionary work, never while
sleeping or writing to a socket.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from .config import EmulatorConfig, Fault, PortService


class EmulatorState:
    def __init__(self, config: EmulatorConfig) -> None:
        self._lock = threading.Lock()
        self._started = config
        self._calls: list[dict[str, Any]] = []
        self._install(config)

    def _install(self, config: EmulatorConfig) -> None:
        self._config = config
        self._ports: dict[str, dict[str, PortService]] = {
            access_id: {service.service_uid: service for service in outlet.services_on_port}
            for access_id, outlet in config.outlets.items()
        }
        self._orders_seen: dict[tuple[str, str], int] = {}
        self._fault_hits: dict[str, int] = {}

    # --- configuration ---------------------------------------------------------------------

    @property
    def config(self) -> EmulatorConfig:
        with self._lock:
            return self._config

    def configure(self, config: EmulatorConfig) -> None:
        """Replace the configuration; ports and counters start over, the call record stays."""
        with self._lock:
            self._install(config)

    def reset(self) -> None:
        """Back to the configuration the emulator started with, no calls recorded."""
        with self._lock:
            self._install(self._started)
            self._calls.clear()

    # --- ports -----------------------------------------------------------------------------

    def services_on_port(self, access_id: str) -> list[PortService] | None:
        with self._lock:
            port = self._ports.get(access_id)
            return None if port is None else list(port.values())

    def add_service(self, access_id: str, service: PortService) -> None:
        with self._lock:
            port = self._ports.setdefault(access_id, {})
            # Ordering an active service again keeps the original activation.
            port.setdefault(service.service_uid, service)

    def remove_service(self, access_id: str, service_uid: str) -> None:
        with self._lock:
            self._ports.get(access_id, {}).pop(service_uid, None)

    def count_order(self, access_id: str, service_uid: str) -> int:
        """Counts this order attempt; returns how many came before it."""
        with self._lock:
            key = (access_id, service_uid)
            seen = self._orders_seen.get(key, 0)
            self._orders_seen[key] = seen + 1
            return seen

    # --- faults ----------------------------------------------------------------------------

    def take_fault(self, access_id: str | None, method: str) -> Fault | None:
        """The fault to apply to this call, counting it against the rule's `fail_first`."""
        with self._lock:
            found = self._config.fault_for(access_id, method)
            if found is None:
                return None
            key, fault = found
            if not fault.active:
                return None
            hits = self._fault_hits.get(key, 0)
            self._fault_hits[key] = hits + 1
            if fault.fail_first is not None and hits >= fault.fail_first:
                return None
            return fault

    # --- call record -----------------------------------------------------------------------

    def record(self, kind: str, **fields: Any) -> None:
        entry: dict[str, Any] = {
            "kind": kind,
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        entry.update(fields)
        with self._lock:
            entry["seq"] = len(self._calls) + 1
            self._calls.append(entry)

    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._calls]
