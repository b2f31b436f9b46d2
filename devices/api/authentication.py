"""Node authentication: one function, `node_authenticate`, behind every node route
(core.api.authentication.NodeAuthentication; registered by DevicesConfig.ready).

A node sends, as `Authorization: Bearer …`, a device token (`dvt_…`), a license key with
the device's hardware id (the CRM client sends its key on every call; `hardwareId` in the
query or the JSON body), or a NEOPRO site key (64 hex). Views that do not need to know the
device (download, status reports whose session names it) set `license_only_ok = True` and
accept a license key alone.

A credential costs one query the first time a process sees it; after that, what it found is
kept in this process (core.credentials) for as long as the shared generation does not move,
so a warm request costs no query at all. Suspending, revoking, rotating, expiring or
deactivating moves the generation: the next request looks the credential up again.
"""

from django.db import connections, router
from rest_framework.request import Request

from core.api.authentication import bearer_token
from core.api.throttles import auth_failure_record, auth_failures_guard, auth_success_record
from core.credentials import credential_keep, credential_kept, credentials_generation
from core.exceptions import ApiError
from licensing.codes import Code, license_refusal, license_status_code
from licensing.keys import license_key_is_well_formed, license_key_normalize, secret_hash
from licensing.models import License, Tenant
from licensing.selectors import license_by_key

from ..models import Device
from ..services.sites import site_key_is_well_formed


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


def _admit(license: License, device: Device | None = None):
    code = license_status_code(license)
    if code != Code.VALID:
        raise license_refusal(code)
    return NodePrincipal(license, device), device or license


# --- Finding an active device, kept per process -------------------------------------------

_MODELS = ((Device, "d"), (License, "l"), (Tenant, "t"))
_NAMES = [[f.attname for f in model._meta.concrete_fields] for model, _ in _MODELS]
# What each kind of credential is looked up by: (table alias, model, field) per value.
_BY = {
    "token": [("d", Device, "token_hash")],
    "key": [("l", License, "key_hash"), ("d", Device, "hardware_id")],
}


class _NodeQuery:
    """The one query finding an active device with its license and tenant, written in SQL.

    Built through the ORM (`values_list` across the three models' ~60 columns, compiled at
    every call) a lookup cost 1.9 ms of CPU against 0.39 ms this way (bench/node_lookup.py),
    and every cold credential pays it. The text is made once
    per database and kind from the models' `_meta` (tables, columns), so it follows the
    models; each value goes through the converters the ORM applies to it (the backend's and
    the field's `get_db_converters`: SQLite keeps UUIDs and datetimes as text)."""

    def __init__(self):
        self.prepared = {}  # (database alias, kind) → (sql, (converters, column) per model)

    @staticmethod
    def prepare(connection, kind: str):
        quote = connection.ops.quote_name

        def column(alias, model, name):
            return f"{alias}.{quote(model._meta.get_field(name).column)}"

        columns, converters = [], []
        for model, alias in _MODELS:
            fields = model._meta.concrete_fields
            columns += [f"{alias}.{quote(f.column)}" for f in fields]
            columns_of = [f.get_col(alias) for f in fields]
            converters.append(
                [
                    (
                        connection.ops.get_db_converters(col) + f.get_db_converters(connection),
                        col,
                    )
                    for f, col in zip(fields, columns_of, strict=True)
                ]
            )
        device, license, tenant = (quote(model._meta.db_table) for model, _ in _MODELS)
        license_id, tenant_id = column("d", Device, "license"), column("d", Device, "tenant")
        where = [column("d", Device, "status")] + [column(*by) for by in _BY[kind]]
        # Identifiers from the models' _meta, quoted by the backend; values bound as parameters.
        sql = " ".join(
            [
                f"SELECT {', '.join(columns)} FROM {device} d",  # noqa: S608
                f"JOIN {license} l ON {column('l', License, 'id')} = {license_id}",
                f"JOIN {tenant} t ON {column('t', Tenant, 'id')} = {tenant_id}",
                f"WHERE {' AND '.join(f'{c} = %s' for c in where)} LIMIT 1",
            ]
        )
        return sql, converters

    def rows(self, alias: str, kind: str, *values) -> tuple | None:
        """The device's, license's and tenant's values (as the ORM would give them), or None."""
        connection = connections[alias]
        prepared = self.prepared.get((alias, kind))
        if prepared is None:
            prepared = self.prepared[(alias, kind)] = self.prepare(connection, kind)
        sql, converters = prepared
        with connection.cursor() as cursor:
            cursor.execute(sql, [Device.Status.ACTIVE, *values])
            row = cursor.fetchone()
        if row is None:
            return None
        found, start = [], 0
        for functions_of in converters:
            values = list(row[start : start + len(functions_of)])
            for position, (functions, col) in enumerate(functions_of):
                for convert in functions:  # as the ORM calls them: (value, expression, conn)
                    values[position] = convert(values[position], col, connection)
            found.append(tuple(values))
            start += len(functions_of)
        return tuple(found)


_QUERY = _NodeQuery()


def _device_from(alias: str, rows: tuple) -> Device:
    """Fresh model instances (a view may change them) from the query's rows."""
    device = Device.from_db(alias, _NAMES[0], rows[0])
    license = License.from_db(alias, _NAMES[1], rows[1])
    license.tenant = device.tenant = Tenant.from_db(alias, _NAMES[2], rows[2])
    device.license = license
    return device


def _active_device(credential: tuple, kind: str, *values) -> Device | None:
    """The active device found by `kind` ("token": a token hash; "key": a license key hash
    and a hardware id), with its license and tenant, kept per process under `credential`
    (a hash: never the secret itself)."""
    generation = credentials_generation()  # read before the query: see core.credentials
    kept = credential_kept(credential, generation)
    if kept is None:
        alias = router.db_for_read(Device)
        rows = _QUERY.rows(alias, kind, *values)
        if rows is None:
            return None  # not kept: a device registered next is found at once
        kept = (alias, rows)
        credential_keep(credential, generation, kept)
    return _device_from(*kept)


# --- The credentials ---------------------------------------------------------------------


def _by_token(request, token: str, refusal):
    """A device token or a site key: both are the device's token hash."""
    auth_failures_guard(request, token)
    token_hash = secret_hash(token)
    device = _active_device(("token", token_hash), "token", token_hash)
    if device is None:
        auth_failure_record(request, token)
        raise refusal()
    auth_success_record(token)
    return _admit(device.license, device)


def _hardware_id(request: Request) -> str | None:
    hardware_id = request.query_params.get("hardwareId")
    if hardware_id is None and hasattr(request.data, "get"):
        hardware_id = request.data.get("hardwareId")
    return hardware_id if isinstance(hardware_id, str) else None


def _by_license_key(request: Request, key: str):
    credential = license_key_normalize(key)
    auth_failures_guard(request, credential)
    hardware_id = _hardware_id(request)
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
        device = _active_device(("key", key_hash, hardware_id), "key", key_hash, hardware_id)
    if device is None:
        known = license_by_key(key=key)
        auth_failure_record(request, None if known else credential)
        raise license_refusal(Code.DEVICE_NOT_ACTIVATED if known else Code.NOT_FOUND)
    auth_success_record(credential)
    return _admit(device.license, device)


def _device_token_refusal():
    return license_refusal(Code.DEVICE_NOT_ACTIVATED)


def _site_key_refusal():
    return ApiError("INVALID_API_KEY", "Clé API invalide", 401)


def node_authenticate(request: Request):
    """`(NodePrincipal, device or license)` for the node's credential, None when the request
    carries none (another authenticator may know it), or the refusal raised."""
    secret = bearer_token(request)
    if not secret:
        return None
    if secret.startswith("dvt_"):
        return _by_token(request, secret, _device_token_refusal)
    if license_key_is_well_formed(secret):
        return _by_license_key(request, secret)
    if site_key_is_well_formed(secret):
        return _by_token(request, secret, _site_key_refusal)
    return None
