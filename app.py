"""Wires the Chalice app: blueprints and SQS handlers. No logic lives here."""

from chalice import Chalice

from chalicelib.api.routes import bp as provider_api
from chalicelib.health import bp as health
from chalicelib.web.routes import bp as customer_web

app = Chalice(app_name="stadsnatsfabriken")
app.register_blueprint(customer_web)
app.register_blueprint(health)
app.register_blueprint(provider_api, url_prefix="/tl/v1")
