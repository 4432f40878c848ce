"""The ON-API 2.6 client for city networks that speak it (docs/protocols/on-api.md).

client.py     OnApiClient: the calls, their deadline and logging
replies.py    pure parsing: (HTTP status, body, headers) -> result
models.py     the results and the ON-API objects they carry
transport.py  one bounded exchange (imported on the first call)
"""

from .client import OnApiClient, requested_date_time, sp_reference
from .models import (
    AccessesResult,
    AccessRow,
    CancelResult,
    OnApiOrder,
    OnApiService,
    OrderEvent,
    OrderEventsResult,
    OrderResult,
    ServicesResult,
)

__all__ = [
    "AccessRow",
    "AccessesResult",
    "CancelResult",
    "OnApiClient",
    "OnApiOrder",
    "OnApiService",
    "OrderEvent",
    "OrderEventsResult",
    "OrderResult",
    "ServicesResult",
    "requested_date_time",
    "sp_reference",
]
