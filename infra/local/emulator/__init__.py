"""City-network emulator: a local test double and demo server for Direct Activation 1.1
and its bounce server (never deployed).

Run it on its own (Ctrl-C stops it)::

    python -m infra.local.emulator --config infra/local/demo-outlets.json \\
        --host 127.0.0.1 --api-port 8010 --bounce-port 8011

It prints the API URL (``GET /?method=port_status|service_deliverable|service_order|
service_deactivate&...``, HTTP Basic) and the bounce URL (``GET /bounce?return_url=..&nonce=..``).
EMULATOR_API_USER, EMULATOR_API_PASSWORD and EMULATOR_BOUNCE_SECRET override the
credentials and the bounce secret from the file. Visitor addresses 127.0.0.2-5 are the demo
outlets (docs/architecture.md, "Local stack"); Linux routes all of 127.0.0.0/8 to the
loopback device, so a browser or client bound to e.g. 127.0.0.3 reaches the bounce server as
that visitor.
Any other address gets a page to pick one.

Control endpoints on the API server (tests): ``GET /_emulator/health``,
``GET /_emulator/calls``, ``POST /_emulator/reset``, ``PUT /_emulator/config``.

In code::

    from infra.local.emulator import Emulator, load_config
    with Emulator(load_config(DEMO_CONFIG_PATH)) as emulator:
        emulator.api_url, emulator.bounce_url, emulator.calls()
"""

from .config import DEMO_CONFIG_PATH, ConfigError, EmulatorConfig, load_config, parse_config
from .runtime import Emulator

__all__ = [
    "DEMO_CONFIG_PATH",
    "ConfigError",
    "Emulator",
    "EmulatorConfig",
    "load_config",
    "parse_config",
]
