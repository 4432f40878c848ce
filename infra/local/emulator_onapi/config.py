"""The ON-API emulator's configuration: one pretend city network, its accesses and how
their orders go. Loaded from a JSON file (../demo-onapi.json) or given as a dict in
tests. Every model forbids unknown keys, so a typo fails loudly."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ID = r"^[-0-9a-zA-Z.]{1,36}$"  # common/dataformats.md, "ID"
MAC = r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$"
DEMO_CONFIG_PATH = Path(__file__).resolve().parent.parent / "demo-onapi.json"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigError(ValueError):
    """A configuration that cannot be used; names the bad fields, never a value."""


class Credentials(Strict):
    user: str = Field(min_length=1)
    password: str = Field(min_length=1)


class Portal(Strict):
    key: str = Field(min_length=1)  # the HMAC key shared with the service provider


class ServiceType(Strict):
    type: str = Field(min_length=1)  # e.g. "Broadband": one active service per type


class Succeed(Strict):
    mode: Literal["succeed"] = "succeed"


class FailFirst(Strict):
    """The first `count` ACTIVATE orders of each service end DONE_FAILED with `message`."""

    mode: Literal["fail_first"]
    count: int = Field(default=1, ge=1)
    message: str = Field(min_length=1, max_length=255)


class AlwaysFail(Strict):
    mode: Literal["always_fail"]
    message: str = Field(min_length=1, max_length=255)


OrderBehaviour = Annotated[Succeed | FailFirst | AlwaysFail, Field(discriminator="mode")]


class Held(Strict):
    """A service type another provider has on the access."""

    forced_takeover_possible: bool = False
    # When the other provider's service ends (an ongoing cancellation); None = unknown ("").
    available_from: dt.datetime | None = None


class Address(Strict):
    """The accesses.md fields of an access (accessId is the key of the access)."""

    streetName: str = Field(min_length=1)
    streetNumber: str | None = None
    streetLittera: str | None = None
    postalCode: str = Field(pattern=r"^[1-9][0-9]{4}$")
    city: str = Field(min_length=1)
    countryCode: str = Field(default="SE", pattern=r"^[A-Z]{2}$")
    premisesType: str = "RESIDENTIAL_HOUSE"
    mduApartmentNumber: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    mduDistinguisher: str | None = None
    outlet: str | None = None
    population: str | None = None
    priceGroup: int = Field(default=0, ge=0)
    accessState: str = "CONNECTED"
    nationalAddressUUID: str | None = None


class Access(Strict):
    description: str = ""
    address: Address
    mac: str = Field(default="02:00:00:00:00:01", pattern=MAC)  # the portal hands it over
    # When the access row last changed (accesses' If-Modified-Since).
    modified: dt.datetime = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    connected: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    services: tuple[str, ...] | None = None  # None: every service of the network
    held: dict[str, Held] = {}  # service type -> held by another provider
    orders: OrderBehaviour = Succeed()

    @field_validator("modified", "connected")
    @classmethod
    def _utc(cls, moment: dt.datetime) -> dt.datetime:
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


class EmulatorConfig(Strict):
    ko: str = Field(pattern=ID)  # the city network's id in the portal hand-over
    api: Credentials
    portal: Portal
    order_delay_s: float = Field(default=1.0, ge=0, le=3600)  # RECEIVED -> DONE_*
    events_page_size: int = Field(default=100, ge=1, le=10_000)
    services: dict[str, ServiceType]
    visitors: dict[str, str] = {}  # visitor address -> accessId
    accesses: dict[str, Access] = {}

    @field_validator("visitors")
    @classmethod
    def _addresses(cls, visitors: dict[str, str]) -> dict[str, str]:
        return {str(ipaddress.ip_address(address)): access for address, access in visitors.items()}

    @model_validator(mode="after")
    def _consistent(self) -> EmulatorConfig:
        bad_ids = sorted(a for a in self.accesses if not re.match(ID, a))
        if bad_ids:
            raise ValueError(f"access ids outside the ON-API ID format: {bad_ids}")
        unknown = sorted({a for a in self.visitors.values() if a not in self.accesses})
        if unknown:
            raise ValueError(f"visitors name accesses that are not configured: {unknown}")
        for access_id, access in self.accesses.items():
            if extra := sorted(set(access.services or ()) - set(self.services)):
                raise ValueError(f"access {access_id} names unknown services: {extra}")
        return self

    def offered(self, access_id: str) -> tuple[str, ...]:
        chosen = self.accesses[access_id].services
        return tuple(self.services) if chosen is None else chosen

    def type_of(self, service: str) -> str:
        return self.services[service].type


def parse_config(data: object) -> EmulatorConfig:
    try:
        return EmulatorConfig.model_validate(data)
    except ValidationError as error:
        lines = [
            f"  {'.'.join(str(p) for p in item['loc']) or '(root)'}: {item['msg']}"
            for item in error.errors(include_input=False, include_url=False)
        ]
        raise ConfigError("invalid ON-API emulator configuration:\n" + "\n".join(lines)) from None


def load_config(path: str | Path = DEMO_CONFIG_PATH) -> EmulatorConfig:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path} is not JSON: {error.msg} (line {error.lineno})") from None
    return parse_config(data)
