"""Node authentication: a device token, or a license key plus the device's hardware id
(the CRM client sends its license key on every call). One query either way.

Views that do not need to know the device (download, status reports whose session names
it) set `license_only_ok = True` and accept a license key alone."""

from rest_framework import authentication

from core.api.authentication import bearer_token
from core.api.throttles import auth_failure_record, auth_failures_guard
from core.exceptions import ApiError
from licensing.codes import Code, license_refusal, license_status_code
from licensing.keys import license_key_is_well_formed, license_key_normalize, secret_hash
from licensing.models import License
from licensing.selectors import license_by_key

from ..models import Device
from ..sites import site_key_is_well_formed


class NodePrincipal:
    """`request.user` for a node: its license (with tenant) and, when known, its device."""

    is_authenticated = True
    is_node = True
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, license: License, device: Device | None = None):
        self.license = license
        self.device = device
        self.pk = device.pk if device else license.pk
        self.tenant_id = license.tenant_id

    def __str__(self):
        return f"device {self.device.pk}" if self.device else f"license {self.license.key_prefix}"


def _devices():
    return Device.objects.select_related("license", "tenant").filter(status=Device.Status.ACTIVE)


def _admit(license: License, device: Device | None = None):
    code = license_status_code(license)
    if code != Code.VALID:
        raise license_refusal(code)
    return NodePrincipal(license, device), device or license


def _admit_device(device: Device):
    device.license.tenant = device.tenant  # the same row: no second query for it
    return _admit(device.license, device)


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer dvt_…`."""

    def authenticate(self, request):
        token = bearer_token(request)
        if not token or not token.startswith("dvt_"):
            return None
        auth_failures_guard(request)
        try:  # get(), not first(): no ORDER BY on a unique column
            device = _devices().get(token_hash=secret_hash(token))
        except Device.DoesNotExist:
            auth_failure_record(request)
            raise license_refusal(Code.DEVICE_NOT_ACTIVATED) from None
        return _admit_device(device)

    def authenticate_header(self, request):
        return "Bearer"


class LicenseKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <license key>` with `hardwareId` in the query or JSON body."""

    def authenticate(self, request):
        key = bearer_token(request)
        if not key or not license_key_is_well_formed(key):
            return None
        auth_failures_guard(request)
        hardware_id = request.query_params.get("hardwareId")
        if hardware_id is None and hasattr(request.data, "get"):
            hardware_id = request.data.get("hardwareId")
        view = request.parser_context.get("view")
        if not hardware_id and getattr(view, "license_only_ok", False):
            license = license_by_key(key=key)
            if license is None:
                auth_failure_record(request)
                raise license_refusal(Code.NOT_FOUND)
            return _admit(license)

        key_hash = secret_hash(license_key_normalize(key))
        device = None
        if hardware_id:
            found = _devices().filter(license__key_hash=key_hash, hardware_id=hardware_id)[:1]
            device = next(iter(found), None)
        if device is None:
            known = license_by_key(key=key)
            auth_failure_record(request)
            raise license_refusal(Code.DEVICE_NOT_ACTIVATED if known else Code.NOT_FOUND)
        return _admit_device(device)

    def authenticate_header(self, request):
        return "Bearer"


class SiteKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <SITE_API_KEY>` (64 hex): a NEOPRO agent that polls over HTTP."""

    def authenticate(self, request):
        key = bearer_token(request)
        if not site_key_is_well_formed(key):
            return None
        auth_failures_guard(request)
        try:
            device = _devices().get(token_hash=secret_hash(key))
        except Device.DoesNotExist:
            auth_failure_record(request)
            raise ApiError("INVALID_API_KEY", "Clé API invalide", 401) from None
        return _admit_device(device)

    def authenticate_header(self, request):
        return "Bearer"
