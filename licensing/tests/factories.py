from datetime import timedelta

import factory
from django.utils import timezone

from licensing.keys import license_key_generate, secret_hash
from licensing.models import ApiToken, License, Policy, Product, Tenant, User
from licensing.services import tenant_staff_group


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Policy {n}")
    max_devices = 5
    duration = timedelta(days=365)


class LicenseFactory(factory.django.DjangoModelFactory):
    """A license whose clear key is kept on the instance as `.key` for the test to use."""

    class Meta:
        model = License

    tenant = factory.SubFactory(TenantFactory)
    policy = factory.SubFactory(PolicyFactory)
    product = factory.SelfAttribute("policy.product")
    key = factory.LazyFunction(license_key_generate)
    key_hash = factory.LazyAttribute(lambda o: secret_hash(o.key))
    key_prefix = factory.LazyAttribute(lambda o: o.key[:8])
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    max_devices = factory.SelfAttribute("policy.max_devices")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        key = kwargs.pop("key", None)
        instance = super()._create(model_class, *args, **kwargs)
        instance.key = key
        return instance


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")
    is_staff = True

    @factory.post_generation
    def tenant_staff(self, create, extracted, **kwargs):
        if create and self.tenant_id:
            self.groups.add(tenant_staff_group())
        if create:
            self.save()


def _api_token(tenant):
    from licensing.services import api_token_create

    return api_token_create(user=UserFactory(tenant=tenant)).api_token


TENANT_FACTORIES = {
    Tenant: lambda tenant: tenant,
    User: lambda tenant: UserFactory(tenant=tenant),
    License: lambda tenant: LicenseFactory(tenant=tenant),
    ApiToken: _api_token,
}
