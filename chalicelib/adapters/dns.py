"""Host name lookups that keep to a deadline.

getaddrinfo() cannot be interrupted, and how long it takes is up to the DNS servers on the
way (for a webhook host, the provider's). Our calls promise wall-clock deadlines, so a
lookup runs on its own daemon thread and the caller stops waiting when its time is up; a
late answer is dropped.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Sequence

# (host, port) -> the addresses the host resolves to, as text.
type Resolver = Callable[[str, int], Sequence[str]]


def resolve_host(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def within(resolver: Resolver, seconds: float) -> Resolver:
    """`resolver`, answering within `seconds` or raising TimeoutError."""

    def bounded(host: str, port: int) -> Sequence[str]:
        outcome: list[Sequence[str] | BaseException] = []
        done = threading.Event()

        def look_up() -> None:
            try:
                outcome.append(resolver(host, port))
            except BaseException as exc:  # handed to the caller, raised there
                outcome.append(exc)
            finally:
                done.set()

        threading.Thread(target=look_up, name="dns-lookup", daemon=True).start()
        if not done.wait(max(seconds, 0.0)):
            raise TimeoutError("the DNS lookup did not finish in time")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    return bounded
