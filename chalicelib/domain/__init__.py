"""Pure domain: models, rules and use cases. No boto3, no Chalice, no requests."""
