"""Wires the Chalice app: blueprints, SQS, stream and scheduled handlers. No logic lives here."""

from chalice import Chalice

from chalicelib.api.routes import bp as provider_api
from chalicelib.catalog_freshness import catalog_freshness
from chalicelib.health import bp as health
from chalicelib.web.dev_mail import bp as dev_mail
from chalicelib.web.routes import bp as customer_web
from chalicelib.workers.activation import bp as activation_worker
from chalicelib.workers.network_events import bp as network_events_poller
from chalicelib.workers.notifications import bp as notification_worker
from chalicelib.workers.webhooks import bp as webhook_worker

app = Chalice(app_name="stadsnatsfabriken")
app.register_middleware(catalog_freshness, "http")
app.register_blueprint(customer_web)
app.register_blueprint(health)
app.register_blueprint(provider_api, url_prefix="/tl/v1")
app.register_blueprint(activation_worker)
app.register_blueprint(webhook_worker)
app.register_blueprint(notification_worker)
app.register_blueprint(dev_mail)
app.register_blueprint(network_events_poller)
