"""Activation worker (SQS). Placeholder until the activation pipeline lands."""

from chalice.app import Blueprint

bp = Blueprint(__name__)
