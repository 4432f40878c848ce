"""The whole local stack in one process: `python -m infra.local.stack` (what `make run` does).

moto's server (DynamoDB + SQS + SES) with the table and queues created and the mail sender
verified, the city-network
emulators (Direct Activation with the demo outlets, ON-API with its demo accesses), the app
served with real peer addresses, the SQS worker, the stream relay, the scheduled handlers
(the ON-API order-event poller, every 2 s) and the demo data. Ctrl-C (or SIGTERM) stops
all of it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
DEMO_OUTLETS = HERE / "demo-outlets.json"
DEMO_API_USER, DEMO_API_PASSWORD, DEMO_BOUNCE_SECRET = "demo", "demo-password", "demo-bounce-secret"

logger = logging.getLogger("local.stack")


@dataclass
class LocalStack:
    host: str = "127.0.0.1"
    app_port: int = 8000
    moto_port: int = 8020
    emulator_api_port: int = 8010
    emulator_bounce_port: int = 8011
    emulator_onapi_port: int = 8012
    outlets: Path = DEMO_OUTLETS
    poll_interval_s: float = 2.0
    urls: dict[str, str] = field(default_factory=dict)
    api_key: str = ""
    _stoppers: list[Any] = field(default_factory=list)

    def start(self) -> LocalStack:
        self._prepare_environment()
        self._start_moto()
        queue_urls = self._create_table_and_queues()
        emulator = self._start_emulator()
        onapi = self._start_onapi_emulator()
        app_server = self._bind_app()
        self._seed(emulator.api_url, emulator.bounce_url)
        self._seed_onapi(onapi)
        app_server.start()
        self._start_worker(queue_urls)
        self._start_webhooks()
        self._start_schedules()
        return self

    def stop(self) -> None:
        for stop in reversed(self._stoppers):
            try:
                stop()
            except Exception:
                logger.exception("stopping a component failed")
        self._stoppers.clear()

    # --- steps -------------------------------------------------------------------------

    def _prepare_environment(self) -> None:
        defaults = {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "eu-north-1",
            "AWS_REGION": "eu-north-1",
            "STAGE": "local",
            "TABLE_NAME": "stadsnatsfabriken-local",
            "POWERTOOLS_SERVICE_NAME": "stadsnatsfabriken",
            "POWERTOOLS_METRICS_NAMESPACE": "Stadsnatsfabriken",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "SECRET_DEMO_STADSNAT_API": f"{DEMO_API_USER}:{DEMO_API_PASSWORD}",
            "SECRET_DEMO_STADSNAT_API_BOUNCE": DEMO_BOUNCE_SECRET,
            "SECRET_APP_SIGNING_KEY": secrets.token_urlsafe(32),
            # Locally every browser comes from 127.0.0.1 and a handful of demo outlets stand
            # for every customer (the e2e tests, the benchmarks' load): the hourly order
            # limits (ORDERS_PER_*_PER_HOUR) would stop the demo, not an abuser.
            "ORDERS_PER_ACCESS_PER_HOUR": "100000",
            "ORDERS_PER_ADDRESS_PER_HOUR": "100000",
        }
        for name, value in defaults.items():
            os.environ.setdefault(name, value)
        # The stack owns these: a stale value from the shell must not point elsewhere.
        os.environ.pop("SECRETS_SSM_PREFIX", None)

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        from infra.local.moto_safety import serialize_dynamodb_requests

        serialize_dynamodb_requests()
        server = ThreadedMotoServer(ip_address=self.host, port=self.moto_port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self.urls["moto"] = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = self.urls["moto"]
        self._stoppers.append(server.stop)

    def _create_table_and_queues(self) -> dict[str, str]:
        from chalicelib.adapters.dynamodb.schema import create_table
        from chalicelib.adapters.ses import verify_sender
        from chalicelib.adapters.sqs import create_queues
        from chalicelib.composition import AwsAdapters
        from chalicelib.settings import Settings

        aws = AwsAdapters(Settings.from_environment())
        create_table(aws.table)
        names = [os.environ.get(v, d) for v, d in QUEUE_NAMES]
        urls = create_queues(names, aws.connection)
        os.environ["ACTIVATION_QUEUE_URL"] = urls[names[0]]
        os.environ["WEBHOOK_QUEUE_URL"] = urls[names[1]]
        os.environ["NOTIFICATION_QUEUE_URL"] = urls[names[2]]
        os.environ["NOTIFICATION_DLQ_URL"] = urls[f"{names[2]}-dlq"]
        # Customer mail goes through SES on moto, which sends only as a verified identity;
        # GET /_dev/mail lists what it took.
        verify_sender(aws.connection, aws.settings.mail_sender)
        return urls

    def _start_emulator(self) -> Any:
        from infra.local.emulator.config import load_config, with_env_overrides
        from infra.local.emulator.runtime import Emulator

        config = with_env_overrides(load_config(self.outlets))
        emulator = Emulator(
            config,
            host=self.host,
            api_port=self.emulator_api_port,
            bounce_port=self.emulator_bounce_port,
        ).start()
        self.urls["emulator_api"] = emulator.api_url
        self.urls["bounce"] = emulator.bounce_url
        self._stoppers.append(emulator.stop)
        return emulator

    def _start_onapi_emulator(self) -> Any:
        from infra.local.emulator_onapi import OnApiEmulator, load_config

        emulator = OnApiEmulator(load_config(), host=self.host, port=self.emulator_onapi_port)
        emulator.start()
        self._stoppers.append(emulator.stop)
        self.urls["onapi_api"] = emulator.api_url
        self.urls["onapi_portal"] = emulator.portal_url
        self.urls["onapi_emulator"] = emulator.base_url
        # The secrets are this emulator's (never a stale value from the shell): "<ref>" the
        # API's user:password, "<ref>/portal" the portal's pre-shared key.
        user, password = emulator.auth
        os.environ["SECRET_DEMO_ONAPI_API"] = f"{user}:{password}"
        os.environ["SECRET_DEMO_ONAPI_API_PORTAL"] = emulator.state.config.portal.key
        return emulator

    def _bind_app(self) -> Any:
        from infra.local.appserver import AppServer

        sys.path.insert(0, str(HERE.parents[1]))
        import app as app_module
        from chalicelib.composition import use
        from chalicelib.settings import settings

        server = AppServer(app_module.app, self.host, self.app_port)
        self.urls["app"] = server.url
        os.environ.setdefault("PUBLIC_BASE_URL", server.url)
        # Webhooks may call loopback here (STAGE=local), but never the stack's own services.
        own = [
            self.urls[name] for name in ("app", "moto", "emulator_api", "bounce", "onapi_emulator")
        ]
        os.environ["LOCAL_SERVICE_PORTS"] = ",".join(
            str(urlsplit(url).port) for url in own if url and urlsplit(url).port
        )
        # The environment is complete only now (the app's URL is known once it is bound):
        # the app's settings and adapters are read afresh from it.
        settings.cache_clear()
        use(None)
        self._app_module = app_module
        self._stoppers.append(server.stop)
        return server

    def _seed(self, api_url: str, bounce_url: str) -> None:
        from chalicelib.composition import adapters
        from chalicelib.domain.api_keys import issue_api_key
        from chalicelib.domain.clock import SystemClock
        from infra.local.seed import seed_catalog

        found = adapters()
        seed_catalog(found.catalog, api_url, bounce_url)
        self.api_key, _ = issue_api_key(
            found.api_keys,
            "demo-tl",
            "local demo key",
            SystemClock(),
            key=os.environ.get("DEMO_API_KEY") or None,
        )

    def _seed_onapi(self, emulator: Any) -> None:
        from chalicelib.composition import adapters
        from infra.local.seed import seed_on_api_network

        seed_on_api_network(
            adapters().catalog,
            emulator.api_url,
            emulator.portal_url,
            emulator.state.config.ko,
        )

    def _start_worker(self, queue_urls: dict[str, str]) -> None:
        from infra.local.worker import SqsWorker

        worker = SqsWorker(self._app_module.app, queue_urls).start()
        self.urls["worker_queues"] = ", ".join(worker.queues) or "(no SQS handlers yet)"
        self._stoppers.append(worker.stop)

    # --- webhooks: the demo provider's endpoint and the outbox relay --------------------

    def _start_webhooks(self) -> None:
        """Seed DEMO_WEBHOOK_URL/SECRET, then feed the table's stream to the relay handler
        (the order events it carries become webhook deliveries on the SQS worker)."""
        from chalicelib.adapters.dynamodb.schema import table_stream_arn
        from chalicelib.composition import AwsAdapters, adapters
        from infra.local.streams import StreamPoller
        from infra.local.webhooks_demo import seed_from_environment

        running = adapters()
        demo = seed_from_environment(
            running.webhook_store, running.clock, running.settings.allow_insecure_webhooks
        )
        if demo is None:
            self.urls["demo_webhook"] = "(none; set DEMO_WEBHOOK_URL to receive demo-tl's events)"
        else:
            self.urls["demo_webhook"] = demo.url
            if demo.generated:
                # Shown once, like the generated API key: nobody else knows it.
                self.urls["demo_webhook_secret"] = demo.secret
        assert isinstance(running, AwsAdapters)
        arn = table_stream_arn(running.table)
        poller = StreamPoller(self._app_module.app, arn).start()
        self.urls["stream_handlers"] = ", ".join(poller.handlers) or "(none)"
        self._stoppers.append(poller.stop)

    def _start_schedules(self) -> None:
        """The app's scheduled handlers (the ON-API order-event poller) every few seconds."""
        from infra.local.schedules import ScheduleRunner

        runner = ScheduleRunner(self._app_module.app, interval_s=self.poll_interval_s).start()
        handlers = ", ".join(runner.handlers) or "(none)"
        self.urls["scheduled_handlers"] = f"{handlers} (every {self.poll_interval_s:g} s)"
        self._stoppers.append(runner.stop)

    def describe(self) -> dict[str, str]:
        return {**self.urls, "api_key": self.api_key}


QUEUE_NAMES = (
    ("ACTIVATION_QUEUE_NAME", "stadsnatsfabriken-activation"),
    ("WEBHOOK_QUEUE_NAME", "stadsnatsfabriken-webhook"),
    ("NOTIFICATION_QUEUE_NAME", "stadsnatsfabriken-notification"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.stack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--moto-port", type=int, default=8020)
    parser.add_argument("--emulator-api-port", type=int, default=8010)
    parser.add_argument("--emulator-bounce-port", type=int, default=8011)
    parser.add_argument("--emulator-onapi-port", type=int, default=8012)
    parser.add_argument("--outlets", type=Path, default=DEMO_OUTLETS)
    parser.add_argument("--ready-file", type=Path, help="write the URLs and key here as JSON")
    parser.add_argument(
        "--admin-env-file",
        type=Path,
        help="write the variables `python -m infra.admin` needs for this stack here",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # moto's request log and botocore's chatter drown what a person wants to follow.
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    stack = LocalStack(
        host=args.host,
        app_port=args.port,
        moto_port=args.moto_port,
        emulator_api_port=args.emulator_api_port,
        emulator_bounce_port=args.emulator_bounce_port,
        emulator_onapi_port=args.emulator_onapi_port,
        outlets=args.outlets,
    )
    stopped = threading.Event()
    # Ctrl-C and SIGTERM only set the event: a KeyboardInterrupt could otherwise land
    # anywhere in start-up and skip the cleanup below.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopped.set())
    try:
        stack.start()
    except BaseException:
        stack.stop()
        raise
    info = stack.describe()
    if args.admin_env_file:
        _write_admin_environment(args.admin_env_file)
    print(_banner(info, args.admin_env_file), flush=True)
    if args.ready_file:
        # Whoever waits for the file reads it as soon as it exists: it must appear whole.
        partial = args.ready_file.with_name(args.ready_file.name + ".partial")
        partial.write_text(json.dumps(info))
        partial.replace(args.ready_file)
    while not stopped.wait(0.5):
        pass
    print("Stopping the local stack ...", flush=True)
    stack.stop()
    return 0


ADMIN_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "TABLE_NAME",
    "ACTIVATION_QUEUE_URL",
    "WEBHOOK_QUEUE_URL",
    "SECRET_APP_SIGNING_KEY",
)


def _write_admin_environment(path: Path) -> None:
    """What `python -m infra.admin` needs to work on this running stack (git ignores it)."""
    lines = [f"{name}={os.environ[name]}" for name in ADMIN_VARIABLES if name in os.environ]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def _banner(info: dict[str, str], admin_env_file: Path | None = None) -> str:
    admin_note = (
        [f"  Admin CLI env:       {admin_env_file} (see README, Admin command line)"]
        if admin_env_file
        else []
    )
    key_note = "" if os.environ.get("DEMO_API_KEY") else "  (generated; set DEMO_API_KEY to fix it)"
    return "\n".join(
        [
            "",
            "Stadsnätsfabriken local stack is up.",
            f"  Customer web:        {info['app']}/",
            f"  Provider API:        {info['app']}/tl/v1",
            f"  OpenAPI document:    {info['app']}/tl/v1/openapi.json",
            f"  Health:              {info['app']}/healthz",
            f"  Sent mail:           {info['app']}/_dev/mail",
            f"  City-network API:    {info['emulator_api']}",
            f"  Emulator call log:   {info['emulator_api']}_emulator/calls",
            f"  Bounce server:       {info['bounce']}",
            f"  ON-API network API:  {info['onapi_api']}",
            f"  ON-API portal:       {info['onapi_portal']}",
            f"  ON-API call log:     {info['onapi_emulator']}/_emulator/calls",
            f"  moto (DynamoDB/SQS/SES): {info['moto']}",
            f"  SQS worker queues:   {info['worker_queues']}",
            f"  demo-tl API key:     {info['api_key']}{key_note}",
            f"  Table stream relay:  {info.get('stream_handlers', '(off)')}",
            f"  Scheduled handlers:  {info.get('scheduled_handlers', '(off)')}",
            f"  demo-tl webhook:     {info.get('demo_webhook', '(none)')}",
            *(
                [f"  demo-tl webhook key: {info['demo_webhook_secret']}  (generated)"]
                if "demo_webhook_secret" in info
                else []
            ),
            *admin_note,
            "Ctrl-C stops everything.",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
