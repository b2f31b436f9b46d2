from sync.events import publish
from sync.models import Event

TENANT_FACTORIES = {
    Event: lambda tenant: publish("test.happened", tenant=tenant, payload={"n": 1}),
}
