"""Provider API blueprint (/tl/v1). Placeholder until the provider API lands."""

from chalice import Blueprint

bp = Blueprint(__name__)
