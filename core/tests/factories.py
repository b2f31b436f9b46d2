from core.events import publish
from core.models import Event

TENANT_FACTORIES = {
    Event: lambda tenant: publish("webhook.test", tenant=tenant, payload={"n": 1}),
}
