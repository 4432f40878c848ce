"""Secrets by name. Locally from the environment; on AWS from SSM Parameter Store
(SecureString) through Powertools Parameters, cached for a few minutes."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..domain.errors import NotFound


class StaticSecrets:
    """A fixed mapping: tests and the local stack."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = dict(values)

    def get(self, name: str) -> str:
        try:
            return self._values[name]
        except KeyError:
            raise NotFound(f"secret {name!r} is not configured") from None


class EnvironmentSecrets:
    """`SECRET_<NAME>` with every non-alphanumeric character of the name as `_`,
    e.g. `demo-stadsnat/api` → `SECRET_DEMO_STADSNAT_API`, in the mapping the composition
    root hands in (the process's environment, read live)."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        self._environment = environment

    def get(self, name: str) -> str:
        variable = "SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()
        value = self._environment.get(variable)
        if value is None:
            raise NotFound(f"secret {name!r} is not configured (set {variable})")
        return value


class ParameterStoreSecrets:
    """SSM parameters under a prefix, decrypted, cached (max_age seconds) per process."""

    def __init__(self, prefix: str, max_age: int = 300) -> None:
        self._prefix = prefix.rstrip("/")
        self._max_age = max_age

    def get(self, name: str) -> str:
        from aws_lambda_powertools.utilities import parameters

        try:
            value = parameters.get_parameter(
                f"{self._prefix}/{name}", decrypt=True, max_age=self._max_age
            )
        except parameters.exceptions.GetParameterError:
            raise NotFound(f"secret {name!r} is not configured") from None
        return str(value)
