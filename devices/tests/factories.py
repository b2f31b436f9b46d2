import factory
from django.utils import timezone

from devices.models import Device
from licensing.keys import secret_hash, token_generate
from licensing.tests.factories import LicenseFactory


class DeviceFactory(factory.django.DjangoModelFactory):
    """A registered device; its clear token is kept on the instance as `.token`."""

    class Meta:
        model = Device

    license = factory.SubFactory(LicenseFactory)
    tenant = factory.SelfAttribute("license.tenant")
    product = factory.SelfAttribute("license.product")
    hardware_id = factory.Sequence(lambda n: f"hw-{n:06d}")
    name = factory.Sequence(lambda n: f"PC-{n}")
    app_version = "1.0.0"
    platform = "windows-x86_64"
    token = factory.LazyFunction(lambda: token_generate("dvt"))
    token_hash = factory.LazyAttribute(lambda o: secret_hash(o.token))
    token_prefix = factory.LazyAttribute(lambda o: o.token[:12])
    last_seen_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        token = kwargs.pop("token", None)
        instance = super()._create(model_class, *args, **kwargs)
        instance.token = token
        return instance


TENANT_FACTORIES = {
    Device: lambda tenant: DeviceFactory(license=LicenseFactory(tenant=tenant)),
}
