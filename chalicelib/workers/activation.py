"""Activation worker (SQS). Placeholder until the activation pipeline lands."""

from chalice import Blueprint

bp = Blueprint(__name__)
