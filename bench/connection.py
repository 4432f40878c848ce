"""Where the benchmarks' own AWS clients go: the connection the app's adapters use, read
from the environment as the composition root reads it (moto's server, or in-process moto)."""

from __future__ import annotations

from chalicelib.adapters.aws_clients import AwsConnection


def connection() -> AwsConnection:
    from chalicelib.settings import Settings

    config = Settings.from_environment()
    return AwsConnection(config.aws_endpoint_url, config.aws_region)
