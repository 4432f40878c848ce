"""DynamoDB implementations of the store ports (one table, see schema.py).

Import the concrete modules (orders, catalog, api_keys, tokens) where needed: this package
import stays light and boto3 is only loaded when the first client is created.
"""
