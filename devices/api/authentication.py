"""Node authentication: a device token, or a license key plus the device's hardware id
(the CRM client sends its license key on every call). One query either way.

Views that do not need to know the device (download, status reports whose session names
it) set `license_only_ok = True` and accept a license key alone."""

from django.db import connections, router
from rest_framework import authentication

from core.api.authentication import bearer_token
from core.api.throttles import (
    auth_failure_record,
    auth_failures_guard,
    auth_failures_suspect,
    auth_success_record,
    node_throttle_count,
)
from core.exceptions import ApiError
from licensing.codes import Code, license_refusal, license_status_code
from licensing.keys import license_key_is_well_formed, license_key_normalize, secret_hash
from licensing.models import License, Tenant
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


_NOT_LOOKED_UP = object()


def _found_by_lean_path(request, secret, hardware_id=None):
    """The active device the lean path (lean_node_principal) found for these credentials
    in this request, None when it found none, or _NOT_LOOKED_UP: a request it left to the
    full stack after its query costs no second one."""
    found = getattr(request, "relais_lean_found", None)
    if found is None or found[:2] != (secret, hardware_id):
        return _NOT_LOOKED_UP
    return found[2]


def _active_device_by_token(request, token):
    device = _found_by_lean_path(request, token)
    if device is _NOT_LOOKED_UP:
        try:  # get(), not first(): no ORDER BY on a unique column
            device = _devices().get(token_hash=secret_hash(token))
        except Device.DoesNotExist:
            device = None
    return device


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer dvt_…`."""

    def authenticate(self, request):
        token = bearer_token(request)
        if not token or not token.startswith("dvt_"):
            return None
        auth_failures_guard(request, token)
        device = _active_device_by_token(request, token)
        if device is None:
            auth_failure_record(request, token)
            raise license_refusal(Code.DEVICE_NOT_ACTIVATED)
        auth_success_record(token)
        return _admit_device(device)

    def authenticate_header(self, request):
        return "Bearer"


class LicenseKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <license key>` with `hardwareId` in the query or JSON body."""

    def authenticate(self, request):
        key = bearer_token(request)
        if not key or not license_key_is_well_formed(key):
            return None
        credential = license_key_normalize(key)
        auth_failures_guard(request, credential)
        hardware_id = request.query_params.get("hardwareId")
        if hardware_id is None and hasattr(request.data, "get"):
            hardware_id = request.data.get("hardwareId")
        view = request.parser_context.get("view")
        if not hardware_id and getattr(view, "license_only_ok", False):
            license = license_by_key(key=key)
            if license is None:
                auth_failure_record(request, credential)
                raise license_refusal(Code.NOT_FOUND)
            auth_success_record(credential)
            return _admit(license)

        key_hash = secret_hash(credential)
        device = None
        if hardware_id:
            device = _found_by_lean_path(request, key, hardware_id)
            if device is _NOT_LOOKED_UP:
                found = _devices().filter(license__key_hash=key_hash, hardware_id=hardware_id)
                device = next(iter(found[:1]), None)
        if device is None:
            known = license_by_key(key=key)
            auth_failure_record(request, None if known else credential)
            raise license_refusal(Code.DEVICE_NOT_ACTIVATED if known else Code.NOT_FOUND)
        auth_success_record(credential)
        return _admit_device(device)

    def authenticate_header(self, request):
        return "Bearer"


class SiteKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <SITE_API_KEY>` (64 hex): a NEOPRO agent that polls over HTTP."""

    def authenticate(self, request):
        key = bearer_token(request)
        if not site_key_is_well_formed(key):
            return None
        auth_failures_guard(request, key)
        device = _active_device_by_token(request, key)
        if device is None:
            auth_failure_record(request, key)
            raise ApiError("INVALID_API_KEY", "Clé API invalide", 401)
        auth_success_record(key)
        return _admit_device(device)

    def authenticate_header(self, request):
        return "Bearer"


# --- The lean path (core.api.lean): the same credentials, one precompiled query ----------


class _CompiledQuery:
    """A queryset's SQL and converters, compiled once per database; run with new values.

    `build(*placeholders)` returns the queryset; the placeholders stand for the values each
    call passes, in order. Compiling is most of what an ORM query costs on a hot path; the
    SQL is the ORM's own, so it follows the models, and the database's converters (SQLite
    stores UUIDs and datetimes as text) are applied as the ORM applies them."""

    def __init__(self, build):
        self.build = build
        self.compiled = {}

    def row(self, connection, *values):
        compiled = self.compiled.get(connection.alias)
        if compiled is None:
            marks = [f"\x00lean-{n}\x00" for n in range(len(values))]
            compiler = self.build(*marks).query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            slots = [marks.index(p) if p in marks else None for p in params]
            if sorted(s for s in slots if s is not None) != list(range(len(marks))):
                # A lookup that transforms its value (iexact...) would bind the mark's text.
                raise RuntimeError(f"placeholders not bound as given: {sql}")
            selected = [s[0] for s in compiler.select[: compiler.col_count]]
            converters = compiler.get_converters(selected)
            compiled = self.compiled[connection.alias] = (sql, params, slots, converters)
        sql, params, slots, converters = compiled
        bound = [p if slot is None else values[slot] for p, slot in zip(params, slots, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            row = cursor.fetchone()
        if row is None or not converters:
            return row
        row = list(row)
        for position, (functions, expression) in converters.items():
            value = row[position]
            for convert in functions:
                value = convert(value, expression, connection)
            row[position] = value
        return row


def _fields(model, keep) -> list[str]:
    """The attnames `keep` picks, in the model's order (the order `from_db` expects)."""
    return [f.attname for f in model._meta.concrete_fields if keep(f.attname)]


# What a node route reads of its device, license and tenant; the rest stays deferred (an
# access would cost a query, and the query-count tests would see it).
_DEVICE_FIELDS = _fields(Device, lambda name: name not in ("tags", "metadata"))
_LICENSE_FIELDS = _fields(
    License,
    lambda name: (
        name
        in {
            "id",
            "tenant_id",
            "product_id",
            "key_prefix",
            "status",
            "expires_at",
            "grace_period",
            "updates_until",
        }
    ),
)
_TENANT_FIELDS = _fields(Tenant, lambda name: name in {"id", "is_active"})


def _lean_columns(query):
    """`query` (a Device queryset) as the values of the fields above, in that order."""
    return query.order_by().values_list(
        *_DEVICE_FIELDS,
        *(f"license__{name}" for name in _LICENSE_FIELDS),
        *(f"tenant__{name}" for name in _TENANT_FIELDS),
    )[:1]


_BY_TOKEN = _CompiledQuery(
    lambda token_hash: _lean_columns(
        Device.objects.filter(status=Device.Status.ACTIVE, token_hash=token_hash)
    )
)
_BY_KEY = _CompiledQuery(
    lambda key_hash, hardware_id: _lean_columns(
        Device.objects.filter(
            status=Device.Status.ACTIVE, license__key_hash=key_hash, hardware_id=hardware_id
        )
    )
)


def lean_node_principal(request) -> NodePrincipal | None:
    """The principal of a node sending a device token, a license key with `hardwareId` in
    the query, or a site key (tried in the full stack's order): one query, the same
    refusal rules as the authentication classes above, or None when the full stack should
    decide (anything else, including every refusal: the full stack answers it, and counts
    the failure)."""
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0] != "Bearer":
        return None
    secret, hardware_id = header[1], None
    if secret.startswith("dvt_") or site_key_is_well_formed(secret):
        credential = secret
    elif license_key_is_well_formed(secret):
        hardware_id = request.GET.get("hardwareId")
        if not hardware_id:
            return None  # a license key alone (license_only_ok routes): the full stack
        credential = license_key_normalize(secret)
    else:
        return None
    if auth_failures_suspect(request, credential):
        return None  # the guard may refuse it: the full stack's to answer
    connection = connections[router.db_for_read(Device)]
    if hardware_id is None:
        row = _BY_TOKEN.row(connection, secret_hash(credential))
    else:
        row = _BY_KEY.row(connection, secret_hash(credential), hardware_id)
    request.relais_lean_found = (secret, hardware_id, None)  # for the full stack, if aside
    if row is None:
        return None
    alias, devices, licenses = connection.alias, len(_DEVICE_FIELDS), len(_LICENSE_FIELDS)
    device = Device.from_db(alias, _DEVICE_FIELDS, row[:devices])
    license = License.from_db(alias, _LICENSE_FIELDS, row[devices : devices + licenses])
    tenant = Tenant.from_db(alias, _TENANT_FIELDS, row[devices + licenses :])
    license.tenant = device.tenant = tenant
    device.license = license
    request.relais_lean_found = (secret, hardware_id, device)
    if license_status_code(license) != Code.VALID:
        return None
    auth_success_record(credential)
    if not node_throttle_count(request, f"device:{device.pk}"):
        return None
    return NodePrincipal(license, device)
