"""`GET|PUT /api/v1/sync/documents/<name>` and the seed's own routes (`/api/settings`,
`/api/team`, `/api/services`, `/api/solutions`): thin views over the documents' services.

Callers are users (an API token `Bearer rlt_…` or the admin session) with the model
permissions on SyncDocument (`view` to read, `change` to write), nodes (a device token,
or a license key with `hardwareId`), which read their tenant's documents, and public
frontends with a publishable key (`rlp_…`), which read the documents it names. Tenant
staff, nodes and keys reach their tenant's documents; platform staff name the tenant with
`?tenant=<uuid>`, or use a token made with a default tenant.

Seed 004's generic `sync('/api/<endpoint>', method, data, options)` reaches any document as
`/api/<name>`; its per-call options travel as query parameters: `preserveFields=a,b`
(added to the document's list, never removing one), `onlyUpdateIfChanged=false` (a new
version even when nothing changed), `notifyFrontend=false` (no push to browsers).
"""

import re
import uuid

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.api.authentication import NodeAuthentication
from core.api.parsers import SafeJSONParser
from core.api.permissions import ModelPermissions
from core.api.throttles import ScopedThrottle
from core.exceptions import ApiError
from core.tenancy import tenant_model, user_tenant_id
from licensing.models import ApiToken

from .. import merge
from ..models import SyncDocument
from ..selectors import document_find
from ..services import ANY, StaleDocument, document_write, validate_name
from .authentication import PublishableKeyAuthentication
from .serializers import (
    DocumentOutput,
    DocumentPutInput,
    StaleOutput,
    seed_document_schema,
    seed_stale_schema,
)

_ETAG = re.compile(r'\s*(W/)?"([^"]*)"\s*')


def etag(version: int) -> str:
    return f'"{version}"'


def _parse_tags(header: str) -> list[tuple[bool, str]]:
    """`"3", W/"4"` → [(False, "3"), (True, "4")]; a malformed list is a 400."""
    tags = []
    for part in header.split(","):
        match = _ETAG.fullmatch(part)
        if not match:
            raise ApiError(
                "INVALID_PRECONDITION",
                _('If-Match and If-None-Match take "*" or quoted entity tags, e.g. "3".'),
            )
        tags.append((bool(match.group(1)), match.group(2)))
    return tags


def if_match(request):
    """None (no header), ANY, or the versions the writer read. Strong comparison: a weak
    or foreign tag names no version, so the write is answered 412."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    if header.strip() == "*":
        return ANY
    return [int(tag) for weak, tag in _parse_tags(header) if not weak and tag.isdigit()]


def not_modified(request, version: int) -> bool:
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    if header.strip() == "*":
        return version > 0
    return str(version) in {tag for _weak, tag in _parse_tags(header)}


def request_tenant(request):
    """The tenant whose documents the caller reaches: tenant staff their own; platform
    staff the one named by `?tenant=` (another tenant's id, for tenant staff, is answered
    like an unknown one)."""
    requested = request.query_params.get("tenant")
    own = user_tenant_id(request.user)
    unknown = ApiError("TENANT_NOT_FOUND", _("Unknown tenant."), 404)
    if own is not None:
        if requested and requested != str(own):
            raise unknown
        return tenant_model().objects.get(pk=own)
    if not requested:
        token = request.auth
        if isinstance(token, ApiToken) and token.default_tenant_id is not None:
            return tenant_model().objects.get(pk=token.default_tenant_id)
        raise ApiError("TENANT_REQUIRED", _("Platform staff name the tenant: ?tenant=<id>."))
    try:
        return tenant_model().objects.get(pk=uuid.UUID(requested))
    except (ValueError, tenant_model().DoesNotExist) as exc:
        raise unknown from exc


def _tenant_param():
    return OpenApiParameter("tenant", str, description="Platform staff: the tenant's id.")


class DocumentPermission(ModelPermissions):
    """Users: the model permissions on SyncDocument. Nodes: read only (the backoffice
    writes documents, the installed software fetches them)."""

    message = gettext_lazy("Nodes read documents; staff write them.")

    def has_permission(self, request, view):
        if getattr(request.user, "is_publishable", False):
            # Read only, and only the documents the key names.
            if request.method not in SAFE_METHODS:
                self.message = gettext_lazy("A publishable key only reads.")
                return False
            if not request.user.reads(view.requested_name()):
                self.message = gettext_lazy("This key does not read this document.")
                return False
            return True
        if getattr(request.user, "is_node", False):
            return request.method in SAFE_METHODS
        return super().has_permission(request, view)


_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def _flag(request, name: str, default: bool) -> bool:
    value = request.query_params.get(name)
    if value is None:
        return default
    if value.lower() not in _FLAGS:
        message = _("%(name)s is true or false.") % {"name": name}
        raise ApiError("VALIDATION_ERROR", message)
    return _FLAGS[value.lower()]


def write_options(request) -> dict:
    """The seed client's per-call options, from the query string: `preserveFields` (a
    comma-separated list, or repeated), `onlyUpdateIfChanged`, `notifyFrontend`."""
    fields = [
        name.strip()
        for value in request.query_params.getlist("preserveFields")
        for name in value.split(",")
        if name.strip()
    ]
    return {
        "add_preserve_fields": fields or None,
        "only_if_changed": _flag(request, "onlyUpdateIfChanged", True),
        "notify": _flag(request, "notifyFrontend", True),
    }


class _DocumentBase(APIView):
    queryset = SyncDocument.objects.all()  # the model whose permissions apply
    parser_classes = [SafeJSONParser]
    permission_classes = [DocumentPermission]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "node"

    def get_authenticators(self):
        # Publishable keys, users (API token, then session), then the nodes' credentials.
        users = [cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
        nodes = [NodeAuthentication()]
        sessions = [a for a in users if isinstance(a, SessionAuthentication)]
        keys = [PublishableKeyAuthentication()]
        return [*keys, *(a for a in users if a not in sessions), *nodes, *sessions]

    def requested_name(self) -> str:
        return self.kwargs.get("name", "")

    def headers_for(self, version: int) -> dict:
        return {"ETag": etag(version), "Cache-Control": "private, no-cache"}

    def write(self, request, name: str, data):
        """Write and answer: 201 on creation, 200 otherwise, 412 with the current document."""
        try:
            result = document_write(
                tenant=request_tenant(request),
                name=name,
                data=data,
                actor=request.user,  # a node or a key never writes (DocumentPermission)
                if_match=if_match(request),
                **write_options(request),
            )
        except StaleDocument as exc:
            body = {"code": exc.code, "message": exc.message, **exc.extra}
            body |= self.stale_body(exc.document)
            version = exc.document.version if exc.document else 0
            return Response(body, status=412, headers=self.headers_for(version))
        document = result.document
        status = 201 if result.created else 200
        return Response(
            self.body(document), status=status, headers=self.headers_for(document.version)
        )


class DocumentView(_DocumentBase):
    """A tenant's named JSON document. Reads send an `ETag` (the version) and answer 304 to
    a matching `If-None-Match`; writes merge with the stored document, keeping its
    preserved fields, honour `If-Match` (412 with the current document when stale) and
    change nothing when nothing changes."""

    def body(self, document):
        return DocumentOutput(document).data

    def stale_body(self, document):
        return {"document": DocumentOutput(document).data if document else None}

    @extend_schema(
        parameters=[_tenant_param()],
        responses={200: DocumentOutput, 304: OpenApiResponse(description="Not modified")},
    )
    def get(self, request, name):
        validate_name(name)
        document = document_find(tenant=request_tenant(request), name=name)
        if document is None:
            raise ApiError("DOCUMENT_NOT_FOUND", _("No document of that name."), 404)
        if not_modified(request, document.version):
            return Response(status=304, headers=self.headers_for(document.version))
        return Response(self.body(document), headers=self.headers_for(document.version))

    @extend_schema(
        parameters=[_tenant_param()],
        request=DocumentPutInput,
        responses={200: DocumentOutput, 201: DocumentOutput, 412: StaleOutput},
    )
    def put(self, request, name):
        validate_name(name)
        if not isinstance(request.data, dict):
            raise ApiError("NOT_AN_OBJECT", _('The body is a JSON object: {"data": …}.'))
        data = DocumentPutInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self.write(request, name, data.validated_data["data"])


class SeedDocumentView(_DocumentBase):
    """Seed 004's backend routes: the document itself as body, in and out, as the seed's
    RealtimeSyncService sends it (`/api/settings` an object; `/api/team`, `/api/services`,
    `/api/solutions` lists). A document never written reads as `{}` or `[]`, version 0."""

    document_name = ""
    dialect_setting = "RELAIS_DIALECT_SYNC"

    def initial(self, request, *args, **kwargs):
        if not getattr(settings, self.dialect_setting):
            raise NotFound()
        super().initial(request, *args, **kwargs)

    def requested_name(self) -> str:
        return self.document_name

    def body(self, document):
        return document.data

    def stale_body(self, document):
        return {"data": document.data if document else merge.empty(self.document_name)}

    def get(self, request):
        name = self.document_name
        document = document_find(tenant=request_tenant(request), name=name)
        version = document.version if document else 0
        if not_modified(request, version):
            return Response(status=304, headers=self.headers_for(version))
        data = document.data if document else merge.empty(name)
        return Response(data, headers=self.headers_for(version))

    def put(self, request):
        return self.write(request, self.document_name, request.data)


# Names under /api/ that are other routes' (or their prefixes): never a document here.
RESERVED_NAMES = frozenset({"v1", "schema", "docs", "license", "updates", "health", "metrics"})


class AnyDocumentView(SeedDocumentView):
    """Seed 004's generic `sync('/api/<endpoint>', …)`: any other document as `/api/<name>`,
    the document itself as body. A document never written reads as `{}`, version 0; its
    shape is set by its first write."""

    def initial(self, request, *args, **kwargs):
        name = kwargs["name"]
        if name in RESERVED_NAMES:
            raise NotFound()
        validate_name(name)
        self.document_name = name
        super().initial(request, *args, **kwargs)

    @extend_schema(
        parameters=[_tenant_param()],
        responses={200: OpenApiResponse(description="The document"), 304: None},
    )
    def get(self, request, name):
        return super().get(request)

    @extend_schema(
        parameters=[_tenant_param()],
        request={"application/json": {"description": "The document: an object or a list"}},
        responses={200: OpenApiResponse(description="The merged document")},
    )
    def put(self, request, name):
        return super().put(request)


def seed_view(name: str):
    """The view of seed document `name`, its schema saying its shape (an object or a list)."""
    body = seed_document_schema(name)
    view = type(f"Seed{name.title()}DocumentView", (SeedDocumentView,), {"document_name": name})
    return extend_schema_view(
        get=extend_schema(parameters=[_tenant_param()], responses={200: body, 304: None}),
        put=extend_schema(
            parameters=[_tenant_param()],
            request={"application/json": body},
            responses={200: body, 201: body, 412: seed_stale_schema(name)},
        ),
    )(view).as_view()
