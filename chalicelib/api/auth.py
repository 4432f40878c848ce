"""Who is calling: the provider owning the `x-api-key` header. One place, called first by
the pipeline for every secured operation. (Not Chalice's `api_key_required`: that is API
Gateway usage-plan keys, a separate concern.)"""

from __future__ import annotations

from chalice.app import Request

from chalicelib.composition import adapters
from chalicelib.domain.api_keys import authenticate

API_KEY_HEADER = "x-api-key"


def authenticate_request(request: Request) -> str:
    """The provider id; Unauthorized for a missing, unknown or revoked key."""
    return authenticate(adapters().api_keys, request.headers.get(API_KEY_HEADER))
