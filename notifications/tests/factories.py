import factory

from licensing.tests.factories import TenantFactory
from notifications.models import Notification, Recipient


class RecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipient

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"ops{n}@example.com")
    name = factory.Sequence(lambda n: f"Ops {n}")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    tenant = factory.SubFactory(TenantFactory)
    kind = "alerts"
    event_type = "alert.opened"
    payload = factory.LazyFunction(
        lambda: {"alertId": 1, "hardwareId": "hw-1", "metric": "temperature", "value": 81}
    )


TENANT_FACTORIES = {
    Recipient: lambda tenant: RecipientFactory(tenant=tenant),
    Notification: lambda tenant: NotificationFactory(tenant=tenant),
}
