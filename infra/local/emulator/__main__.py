"""`python -m infra.local.emulator --config FILE --host H --api-port P --bounce-port P`"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .config import DEMO_CONFIG_PATH, ConfigError, load_config, with_env_overrides
from .runtime import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local.emulator",
        description="City-network emulator: Direct Activation 1.1 API and bounce server.",
    )
    parser.add_argument("--config", default=str(DEMO_CONFIG_PATH), help="outlet file (JSON)")
    parser.add_argument("--host", default="127.0.0.1", help="address both servers bind to")
    parser.add_argument("--bounce-host", default=None, help="bounce server address")
    parser.add_argument("--api-port", type=int, default=8010)
    parser.add_argument("--bounce-port", type=int, default=8011)
    args = parser.parse_args(argv)

    try:
        config = with_env_overrides(load_config(args.config))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        emulator = Emulator(
            config,
            host=args.host,
            api_port=args.api_port,
            bounce_port=args.bounce_port,
            bounce_host=args.bounce_host,
        )
    except OSError as error:
        print(f"cannot start the emulator: {error}", file=sys.stderr)
        return 1

    stopped = threading.Event()
    # Ctrl-C and SIGTERM both just set the event, installed before anything is printed:
    # a KeyboardInterrupt could otherwise land between the banner and the wait.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopped.set())
    emulator.start()
    print(f"city-network emulator: API    {emulator.api_url} (user {config.api.user})", flush=True)
    print(f"city-network emulator: bounce {emulator.bounce_url}", flush=True)
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        emulator.stop()
        print("city-network emulator: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
