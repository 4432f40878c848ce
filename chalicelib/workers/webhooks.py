"""Webhook delivery worker (SQS) and outbox relay. Placeholder until webhooks land."""

from chalice.app import Blueprint

bp = Blueprint(__name__)
