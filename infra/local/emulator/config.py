"""The emulator's configuration: the outlets of one pretend city network and how they behave.

Loaded from a JSON file (see ../demo-outlets.json) or given as a dict/model in tests. Every
model forbids unknown keys so a typo in a test configuration fails loudly instead of being
silently ignored.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

METHODS = ("port_status", "service_deliverable", "service_order", "service_deactivate")
Method = Literal["port_status", "service_deliverable", "service_order", "service_deactivate"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names every bad field, never a value."""


# --- replies of the city network -------------------------------------------------------------


class Refusal(Strict):
    """A well-formed `failed` reply: HTTP status = `code`, mirrored in `<response><code>`."""

    code: int = Field(ge=400, le=599)
    message: str | None = None
    hardware: str | None = None  # e.g. "CPE" for 428


class DeliverabilityRefusal(Refusal):
    @field_validator("code")
    @classmethod
    def _protocol_code(cls, code: int) -> int:
        # docs/protocols/direct-activation.md, service_deliverable: 404, 426, 428 or 5xx
        # with a message.
        if code not in (404, 426, 428) and not 500 <= code <= 599:
            raise ValueError("service_deliverable refuses with 404, 426, 428 or 5xx")
        return code


# "deliverable" or the refusal the city network answers with.
Deliverability = Literal["deliverable"] | DeliverabilityRefusal


class Succeed(Strict):
    mode: Literal["succeed"] = "succeed"


class SucceedWithDate(Strict):
    """Success naming an activation date of the city network's own: today (Sweden) + days."""

    mode: Literal["succeed_with_date"]
    days: int = Field(default=14, ge=0, le=3650)


class RefuseFirst(Refusal):
    """Refuse the first `count` orders of each service on the outlet, then succeed."""

    mode: Literal["refuse_first"]
    count: int = Field(default=1, ge=1)


class AlwaysRefuse(Refusal):
    mode: Literal["always_refuse"]


AnyOrderBehaviour = Succeed | SucceedWithDate | RefuseFirst | AlwaysRefuse
OrderBehaviour = Annotated[AnyOrderBehaviour, Field(discriminator="mode")]


# --- faults --------------------------------------------------------------------------------


class Fault(Strict):
    """Transport misbehaviour. An all-default Fault means "no fault" (useful to exempt an
    outlet or a method from a broader rule)."""

    latency_ms: int = Field(default=0, ge=0)
    hang: bool = False
    hang_s: float = Field(default=30.0, gt=0)
    http_503: bool = False
    malformed_xml: bool = False
    dribble: bool = False
    dribble_interval_ms: int = Field(default=1000, ge=1)
    # Apply only to the first N matching calls, then behave normally (None = every call).
    fail_first: int | None = Field(default=None, ge=1)
    # Whether the call changes the port despite the fault. Default: a 503 is not processed;
    # with any other fault the city network did the work and only the reply suffers, which
    # is what reconciliation through port_status has to cope with.
    takes_effect: bool | None = None

    @property
    def active(self) -> bool:
        return bool(
            self.latency_ms or self.hang or self.http_503 or self.malformed_xml or self.dribble
        )

    @property
    def processes_call(self) -> bool:
        return self.takes_effect if self.takes_effect is not None else not self.http_503

    def names(self) -> list[str]:
        flags = {
            "latency": bool(self.latency_ms),
            "hang": self.hang,
            "http_503": self.http_503,
            "malformed_xml": self.malformed_xml,
            "dribble": self.dribble,
        }
        return [name for name, on in flags.items() if on]


class Faults(Strict):
    """Faults for every method (`all`) or one method; the more specific entry wins."""

    all: Fault | None = None
    port_status: Fault | None = None
    service_deliverable: Fault | None = None
    service_order: Fault | None = None
    service_deactivate: Fault | None = None

    def for_method(self, method: str) -> tuple[str, Fault] | None:
        specific: Fault | None = getattr(self, method, None) if method in METHODS else None
        if specific is not None:
            return method, specific
        if self.all is not None:
            return "all", self.all
        return None


# --- outlets -------------------------------------------------------------------------------


class PortService(Strict):
    service_uid: str = Field(min_length=1)
    name: str | None = None
    date: dt.date | None = None
    commitment: dt.date | None = None
    release: str | None = None  # the protocol sends a date or "0"
    message: str | None = None


class PortInfo(Strict):
    nettype: str = "LAYER2"
    media: str = "FTTH"
    portcapacity: int = 1000
    cpecapacity: int = 1000
    cocpe: Literal["YES", "NO"] = "YES"
    dhcpoption: str | None = None
    serviceport: str = "ASAP"


class Outlet(Strict):
    description: str = ""
    port_message: str | None = None
    info: PortInfo = PortInfo()
    services_on_port: tuple[PortService, ...] = ()
    deliverability: dict[str, Deliverability] = {}
    default_deliverability: Deliverability = "deliverable"
    service_order: OrderBehaviour = Succeed()
    # Per-service override of `service_order`.
    service_order_by_service: dict[str, OrderBehaviour] = {}
    faults: Faults = Faults()

    def deliverability_of(self, service_uid: str) -> Deliverability:
        return self.deliverability.get(service_uid, self.default_deliverability)

    def order_behaviour_of(self, service_uid: str) -> AnyOrderBehaviour:
        return self.service_order_by_service.get(service_uid, self.service_order)


# --- the servers ---------------------------------------------------------------------------


class ApiCredentials(Strict):
    user: str = Field(min_length=1)
    password: str = Field(min_length=1)


class BounceSettings(Strict):
    secret: str = Field(min_length=1)
    mode: Literal["normal", "error", "hang"] = "normal"
    error_message: str = "Uppslagningen av uttaget misslyckades"
    hang_s: float = Field(default=30.0, gt=0)
    ttl_s: int = Field(default=120, ge=1)


class EmulatorConfig(Strict):
    api: ApiCredentials
    bounce: BounceSettings
    # Visitor address -> outlet (access_id); null = "not found" (not a city-network customer).
    visitors: dict[str, str | None] = {}
    outlets: dict[str, Outlet] = {}
    faults: Faults = Faults()

    @field_validator("visitors")
    @classmethod
    def _addresses(cls, visitors: dict[str, str | None]) -> dict[str, str | None]:
        return {str(ipaddress.ip_address(address)): outlet for address, outlet in visitors.items()}

    @model_validator(mode="after")
    def _visitors_point_at_outlets(self) -> EmulatorConfig:
        unknown = sorted({o for o in self.visitors.values() if o and o not in self.outlets})
        if unknown:
            raise ValueError(f"visitors name outlets that are not configured: {unknown}")
        return self

    def fault_for(self, access_id: str | None, method: str) -> tuple[str, Fault] | None:
        """The fault rule deciding this call, most specific first, with a key naming it."""
        outlet = self.outlets.get(access_id) if access_id else None
        if outlet is not None:
            found = outlet.faults.for_method(method)
            if found is not None:
                return f"outlet:{access_id}:{found[0]}", found[1]
        found = self.faults.for_method(method)
        if found is not None:
            return f"global:{found[0]}", found[1]
        return None


# --- loading -------------------------------------------------------------------------------


def describe_errors(error: ValidationError) -> str:
    # Only locations and messages: input values could be the password or the bounce secret.
    lines = [
        f"  {'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}"
        for item in error.errors(include_input=False, include_url=False)
    ]
    return "\n".join(lines)


def parse_config(data: object) -> EmulatorConfig:
    try:
        return EmulatorConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"invalid emulator configuration:\n{describe_errors(error)}") from None


def load_config(path: str | Path) -> EmulatorConfig:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read emulator configuration {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"emulator configuration {path} is not JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno})"
        ) from None
    try:
        return parse_config(data)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


ENV_OVERRIDES = {
    "EMULATOR_API_USER": ("api", "user"),
    "EMULATOR_API_PASSWORD": ("api", "password"),
    "EMULATOR_BOUNCE_SECRET": ("bounce", "secret"),
}


def with_env_overrides(
    config: EmulatorConfig, env: Mapping[str, str] | None = None
) -> EmulatorConfig:
    """Lets the local stack give the emulator the same credentials as its secrets store."""
    env = os.environ if env is None else env
    data = config.model_dump(mode="json")
    for variable, (section, key) in ENV_OVERRIDES.items():
        value = env.get(variable)
        if value:
            data[section][key] = value
    return parse_config(data)


DEMO_CONFIG_PATH = Path(__file__).resolve().parent.parent / "demo-outlets.json"
