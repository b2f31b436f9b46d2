from core.services.events import publish
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create

# An address that resolves without a network; tests that create endpoints allow loopback
# targets (`settings.RELAIS_WEBHOOK_ALLOWED_NETWORKS`, which conftest.py sets).
RECEIVER_URL = "http://127.0.0.1:9/hooks"


def _endpoint_of(tenant):
    return endpoint_create(url=RECEIVER_URL, tenant=tenant).endpoint


def _delivery_of(tenant):
    endpoint = _endpoint_of(tenant)
    publish("license.updated", tenant=tenant, payload={"n": 1})
    return WebhookDelivery.objects.filter(endpoint=endpoint).latest("created_at")


TENANT_FACTORIES = {
    WebhookEndpoint: _endpoint_of,
    WebhookDelivery: _delivery_of,
}
