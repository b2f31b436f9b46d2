"""The tenant staff role: what a customer's IT admin may do in the backoffice and API."""

from django.contrib.auth.models import Group, Permission

TENANT_STAFF_GROUP = "Tenant staff"
TENANT_STAFF_PERMISSIONS = [
    "licensing.view_tenant",
    "licensing.view_product",
    "licensing.view_policy",
    "licensing.view_license",
    "licensing.view_user",
    "devices.view_device",
    "devices.change_device",
    "releases.view_release",
    "releases.view_artifact",
    "releases.view_updatesession",
    "sync.view_event",
]


def tenant_staff_group() -> Group:
    """Create or refresh the group; idempotent."""
    group, _ = Group.objects.get_or_create(name=TENANT_STAFF_GROUP)
    perms = []
    for label in TENANT_STAFF_PERMISSIONS:
        app_label, codename = label.split(".")
        perms += Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    group.permissions.set(perms)
    return group
