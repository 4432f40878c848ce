"""Entry point package."""
