"""`python -m infra.local.emulator_onapi --config FILE --host H --port P`"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .config import DEMO_CONFIG_PATH, ConfigError, load_config
from .runtime import OnApiEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local.emulator_onapi",
        description="City-network emulator: ON-API 2.6 and its web-portal hand-over.",
    )
    parser.add_argument("--config", default=str(DEMO_CONFIG_PATH), help="network file (JSON)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind to")
    parser.add_argument("--port", type=int, default=8012)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        emulator = OnApiEmulator(config, host=args.host, port=args.port)
    except OSError as error:
        print(f"cannot start the ON-API emulator: {error}", file=sys.stderr)
        return 1
    stopped = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopped.set())
    emulator.start()
    print(f"ON-API emulator: API    {emulator.api_url} (user {config.api.user})", flush=True)
    print(f"ON-API emulator: portal {emulator.portal_url}?return_url=...", flush=True)
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        emulator.stop()
        print("ON-API emulator: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
