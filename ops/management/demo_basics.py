"""The demo's basics (`manage.py demo_data`, the embedded default): a tenant, products, a
policy, a license, the two logins and two published releases."""

from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile

from licensing.models import License, Policy, Product, Tenant, User
from licensing.services import license_issue, license_regenerate_key, tenant_staff_group
from releases.models import Release
from releases.services.releases import artifact_create, release_create, release_publish

DEMO_PASSWORD = "relais-demo"  # noqa: S105 - the embedded demo only, refused in production


def demo_licensing():
    tenant, _ = Tenant.objects.get_or_create(slug="acme", defaults={"name": "Acme Corporation"})
    product, _ = Product.objects.get_or_create(slug="itstock-crm", defaults={"name": "ITStock CRM"})
    policy, _ = Policy.objects.get_or_create(
        product=product,
        name="Standard",
        defaults={
            "max_devices": 5,
            "duration": timedelta(days=365),
            "max_validations": 1000,
            "heartbeat_window": timedelta(days=30),
        },
    )
    license = License.objects.filter(tenant=tenant, product=product, name="Demo").first()
    if license is None:
        issued = license_issue(tenant=tenant, policy=policy, name="Demo")
        return issued.key, tenant
    return license_regenerate_key(license=license), tenant


def demo_neopro(tenant):
    """A NEOPRO license for Acme, so that register-site works with acme-it's login."""
    product, _ = Product.objects.get_or_create(
        slug=settings.RELAIS_NEOPRO_PRODUCT, defaults={"name": "NEOPRO"}
    )
    policy, _ = Policy.objects.get_or_create(
        product=product, name="Sites", defaults={"max_devices": 20}
    )
    if not License.objects.filter(tenant=tenant, product=product).exists():
        license_issue(tenant=tenant, policy=policy, name="Demo sites")


def demo_users(tenant):
    admin, _ = User.objects.get_or_create(username="admin")
    admin.is_staff = admin.is_superuser = True
    admin.email = "admin@relais.local"
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    staff, _ = User.objects.get_or_create(username="acme-it", defaults={"tenant": tenant})
    staff.is_staff = True
    staff.email = "it@acme.example"
    staff.tenant = tenant
    staff.set_password(DEMO_PASSWORD)
    staff.save()
    staff.groups.add(tenant_staff_group())


def demo_releases():
    crm = Product.objects.get(slug="itstock-crm")
    datashare, _ = Product.objects.get_or_create(
        slug="datashare",
        defaults={"name": "DataShare", "distribution": Product.Distribution.OPEN},
    )
    demo = [
        (crm, "1.1.0", "ITStock-CRM-1.1.0.exe", "- Nouvelles fonctionnalités\n- Correctifs"),
        (datashare, "1.2.0", "DataShare_v1.2.0.exe", "- Nouveau design\n- Support Drag & Drop"),
    ]
    for product, version, filename, notes in demo:
        if Release.objects.filter(product=product, version=version).exists():
            continue
        release = release_create(product=product, version=version, notes=notes)
        content = ContentFile(f"{product.name} {version} demo installer\n".encode() * 1000)
        artifact_create(release=release, file=content, filename=filename)
        release_publish(release=release)
