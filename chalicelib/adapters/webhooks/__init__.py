"""Webhook delivery to providers: signing (Standard Webhooks), the SSRF guard, the HTTP
sender and the retry schedule. Import the submodule you need; this package stays light."""
