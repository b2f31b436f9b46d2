from core.models import Event
from core.services.events import publish

TENANT_FACTORIES = {
    Event: lambda tenant: publish("webhook.test", tenant=tenant, payload={"n": 1}),
}
