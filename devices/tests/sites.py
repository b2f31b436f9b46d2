"""A NEOPRO fleet for tests: a tenant with a license of the `neopro` product and a staff
user who may register sites."""

from dataclasses import dataclass

from django.contrib.auth.models import Permission

from devices.services.sites import site_register
from licensing.tests.factories import LicenseFactory, PolicyFactory, ProductFactory, UserFactory

PASSWORD = "pw-for-tests-1"  # noqa: S105 - UserFactory's


@dataclass
class Fleet:
    tenant: object
    license: object
    staff: object
    product: object


def neopro_product():
    from licensing.models import Product

    return Product.objects.filter(slug="neopro").first() or ProductFactory(
        slug="neopro", name="NEOPRO"
    )


def neopro_fleet(*, seats=5, email=None) -> Fleet:
    product = neopro_product()
    license = LicenseFactory(policy=PolicyFactory(product=product, max_devices=seats))
    staff = UserFactory(tenant=license.tenant, email=email or f"it-{license.pk.hex[:8]}@club.fr")
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["devices", "commands"],
            codename__in=[
                "add_device",
                "change_device",
                "view_device",
                "add_devicecommand",
                "change_devicecommand",
                "view_devicecommand",
            ],
        )
    )
    return Fleet(tenant=license.tenant, license=license, staff=staff, product=product)


PROFILE = {
    "siteName": "Site Rennes",
    "clubName": "Rennes FC",
    "locationCity": "Rennes",
    "locationRegion": "Bretagne",
    "locationCountry": "France",
    "sports": ["football", "futsal"],
    "hardwareModel": "Raspberry Pi 4 Model B Rev 1.4",
}


def registered_site(fleet: Fleet, **profile):
    """(site device, clear API key)."""
    result = site_register(email=fleet.staff.email, password=PASSWORD, profile=PROFILE | profile)
    return result.site, result.api_key
