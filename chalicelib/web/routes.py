"""Customer web blueprint. Placeholder until the customer journey lands."""

from chalice import Blueprint

bp = Blueprint(__name__)
