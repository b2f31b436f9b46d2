"""The seeds' update routes: thin views over the same services as the canonical API."""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.views import DialectView, StatusCodeErrorsMixin
from core.exceptions import ApiError
from licensing.models import Product
from licensing.selectors import tenant_node_license
from releases.services.check import Audience, latest_offer
from releases.services.downloads import artifact_for_download
from releases.versions import version_or_refuse

from ..manifests import offer_signed_fields
from ..models import Artifact
from .downloads import artifact_response
from .serializers import (
    CyberSenseiCheckInput,
    CyberSenseiCheckOutput,
    DataShareLatestInput,
    DataShareLatestOutput,
)


class CyberSenseiView(StatusCodeErrorsMixin, DialectView):
    dialect_setting = "RELAIS_DIALECT_CYBERSENSEI"
    default_language = "fr"  # the seed's messages; its client sends no Accept-Language


# The CyberSensei node downloads with nothing but the `updateId` its check returned, so the
# id carries, signed, the tenant it was issued to: the download re-checks that tenant's
# license like any other, and an artifact id alone opens nothing. The id is a capability:
# it expires after RELAIS_CYBERSENSEI_UPDATE_ID_TTL (the node downloads right after its
# check) and access logs mask it (docker/gunicorn.conf.py).
_UPDATE_IDS = signing.TimestampSigner(salt="relais.cybersensei.update-id")


def update_id_issue(*, artifact_id, tenant_id) -> str:
    return _UPDATE_IDS.sign(f"{artifact_id}.{tenant_id}")


def update_id_artifact(update_id: str):
    try:
        artifact_id, tenant_id = _UPDATE_IDS.unsign(
            update_id, max_age=settings.RELAIS_CYBERSENSEI_UPDATE_ID_TTL
        ).split(".")
        artifact = Artifact.objects.select_related("release").get(pk=artifact_id)
    except (signing.BadSignature, ValueError, Artifact.DoesNotExist) as exc:
        raise ApiError("ARTIFACT_NOT_FOUND", _("No such artifact."), 404) from exc
    license = tenant_node_license(tenant_id, product_id=artifact.release.product_id)
    return artifact_for_download(artifact_id=artifact.pk, license=license)


class CyberSenseiUpdateCheckView(CyberSenseiView):
    """`GET /update/check?tenantId&version`: the CyberSensei node's hourly check."""

    @extend_schema(parameters=[CyberSenseiCheckInput], responses=CyberSenseiCheckOutput)
    def get(self, request):
        data = CyberSenseiCheckInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        license = tenant_node_license(d["tenantId"], product_slug=d.get("product"))
        audience = Audience(
            tenant_id=str(license.tenant_id),
            platform=d.get("platform", ""),
            updates_until=license.updates_until,
        )
        offer = latest_offer(
            product_id=license.product_id, audience=audience, current_version=d["version"]
        )
        current = d["version"]
        body = {
            "updateAvailable": offer is not None,
            "currentVersion": current,
            "latestVersion": offer.release.version if offer else current,
            "updateId": (
                update_id_issue(artifact_id=offer.artifact.id, tenant_id=license.tenant_id)
                if offer
                else None
            ),
            "changelog": offer.release.notes if offer else None,
            "fileSize": offer.artifact.size if offer else None,
        }
        if offer:  # extra fields: the seed's node ignores them
            body["checksum"] = offer.artifact.sha256
            body["vendorSignature"] = offer.artifact.vendor_signature or None
            body.update(offer_signed_fields(offer.artifact, offer.mandatory))
        return Response(CyberSenseiCheckOutput(body).data)


class CyberSenseiDownloadView(CyberSenseiView):
    """`GET /update/download/<updateId>`: the ZIP, by the id the check handed out."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes, 302: None})
    def get(self, request, update_id):
        return artifact_response(request, update_id_artifact(update_id))


class DataShareLatestView(DialectView):
    """`GET /api/updates/latest[?product=]`: the DataShare desktop app's manifest, for
    products distributed openly."""

    dialect_setting = "RELAIS_DIALECT_DATASHARE"

    @extend_schema(parameters=[DataShareLatestInput], responses=DataShareLatestOutput)
    def get(self, request):
        data = DataShareLatestInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        products = Product.objects.filter(distribution=Product.Distribution.OPEN)
        if d.get("product"):
            products = products.filter(slug=d["product"])
        products = list(products[:2])
        if not products:
            raise ApiError("PRODUCT_NOT_FOUND", _("No open product by that name."), 404)
        if len(products) > 1:
            raise ApiError("PRODUCT_REQUIRED", _("Several products are published: name one."), 400)
        audience = Audience(tenant_id=None, platform=d.get("platform", ""))
        offer = latest_offer(product_id=products[0].pk, audience=audience, current_version=None)
        if offer is None:
            raise ApiError("NO_RELEASE", _("Nothing is published yet."), 404)
        if d.get("version"):
            offer = stepped_offer(products[0].pk, audience, d["version"], offer)
        url = reverse("update-download", args=[offer.artifact.id])
        body = {
            "version": offer.release.version,
            "release_date": offer.release.published_at.date(),
            "download_url": request.build_absolute_uri(url),
            "changelog": changelog_lines(offer.release.notes),
            "sha256": offer.artifact.sha256,
            "vendor_signature": offer.artifact.vendor_signature or None,
            **offer_signed_fields(offer.artifact, offer.mandatory),
        }
        return Response(DataShareLatestOutput(body).data)


def stepped_offer(product_id, audience, version: str, newest):
    """For a client that names its version: the stepping stone it must install first, else
    the newest release; 404 NO_RELEASE while a stone it must install is not offered to it
    (its rollout halted) rather than the release beyond it."""
    offer = latest_offer(product_id=product_id, audience=audience, current_version=version)
    if offer is not None:
        return offer
    if newest.release.semver > version_or_refuse(version):
        raise ApiError("NO_RELEASE", _("No release can be installed from this version yet."), 404)
    return newest  # up to date: the client compares and stays


def changelog_lines(notes: str) -> list[str]:
    """Release notes as a list, bullets ("- ", "* ", "• ") removed."""
    lines = (line.strip().lstrip("-*•").strip() for line in notes.splitlines())
    return [line for line in lines if line]
