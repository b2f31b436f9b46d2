from sync.events import publish
from sync.models import Event, WebhookDelivery, WebhookEndpoint
from sync.webhooks import endpoint_create

# An address that resolves without a network; tests that create endpoints allow private
# targets (`settings.RELAIS_WEBHOOK_ALLOW_PRIVATE = True`).
RECEIVER_URL = "http://127.0.0.1:9/hooks"


def _endpoint_of(tenant):
    return endpoint_create(url=RECEIVER_URL, tenant=tenant).endpoint


def _delivery_of(tenant):
    endpoint = _endpoint_of(tenant)
    publish("license.updated", tenant=tenant, payload={"n": 1})
    return WebhookDelivery.objects.filter(endpoint=endpoint).latest("created_at")


TENANT_FACTORIES = {
    Event: lambda tenant: publish("webhook.test", tenant=tenant, payload={"n": 1}),
    WebhookEndpoint: _endpoint_of,
    WebhookDelivery: _delivery_of,
}
