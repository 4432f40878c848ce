"""City-network emulator for ON-API 2.6 (github.com/on-api/on-api, 2.6.0): a local test
double and demo server for the network `demo-onapi` (never deployed). The Direct
Activation one is ../emulator/; this follows its shape.

Run it on its own (Ctrl-C stops it)::

    python -m infra.local.emulator_onapi --config infra/local/demo-onapi.json \\
        --host 127.0.0.1 --port 8012

One HTTP server, bound to the given address and port:

- ``/onapi/2.6/`` the ON-API, HTTP Basic: ``GET services/[{accessId}]``,
  ``GET|POST orders/``, ``GET|DELETE orders/{orderId}``, ``GET orderevents/[?since=]``,
  ``GET accesses/[{accessId}]`` with ``If-Modified-Since`` (304 when nothing changed).
  Orders go RECEIVED, then DONE_SUCCESS or DONE_FAILED ``order_delay_s`` later; each
  change is an order event (network.py). Replies follow common/responses.md (protocol.py).
- ``/portal?return_url=..`` the web-portal hand-over of spec_sp/web_portal.md: the visitor
  (by the connection's peer address) is redirected to ``return_url`` with ``ko``,
  ``accessId``, ``mac``, ``tid`` and ``hash``. **The hash**: HMAC-SHA256 with the
  pre-shared key (``portal.key``) over the UTF-8 bytes of ``ko + accessId + mac + tid``,
  concatenated in that order with no separator, before any URL encoding, hex encoded in
  lower case. The spec gives the values and their order but no separator; this is our
  reading (docs/protocols/on-api.md). ``tid`` is UTC with milliseconds, as the spec's
  example.
- ``/_emulator/health``, ``/_emulator/calls``, ``POST /_emulator/reset``,
  ``POST /_emulator/faults`` (server.py) for tests.

Demo visitors (Linux routes all of 127.0.0.0/8 to the loopback device, so a client bound
to 127.0.1.3 reaches the server as that visitor): 127.0.1.2 everything deliverable, orders
succeed; 127.0.1.3 the first order of each service ends DONE_FAILED with a reason;
127.0.1.4 broadband is held by another provider, forcedTakeoverPossible. Any other
address gets a page to pick one.

In code::

    from infra.local.emulator_onapi import OnApiEmulator, load_config
    with OnApiEmulator(load_config()) as emulator:
        emulator.api_url, emulator.portal_url, emulator.calls()
"""

from .config import DEMO_CONFIG_PATH, ConfigError, EmulatorConfig, load_config, parse_config
from .portal import portal_hash
from .runtime import OnApiEmulator

__all__ = [
    "DEMO_CONFIG_PATH",
    "ConfigError",
    "EmulatorConfig",
    "OnApiEmulator",
    "load_config",
    "parse_config",
    "portal_hash",
]
