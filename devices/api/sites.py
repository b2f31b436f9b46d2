"""The NEOPRO agent's `register-site` and `resync` scripts: a staff email and password,
throttled per client address and per account; a wrong password and an unknown email get
the same answer."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api.serializers import StrictSerializer
from core.api.throttles import AccountThrottle, AddressThrottle
from core.api.views import PublicNodeView

from ..services.sites import site_config, site_register, site_resync


class StaffCredentials(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class SportsField(serializers.ListField):
    """A list, or the seed's comma-separated `SPORTS` string."""

    child = serializers.CharField(max_length=50)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [part.strip() for part in data.split(",") if part.strip()]
        return super().to_internal_value(data)


class SiteRegisterInput(StaffCredentials):
    siteName = serializers.CharField(max_length=200)
    clubName = serializers.CharField(max_length=200, required=False, allow_blank=True)
    locationCity = serializers.CharField(max_length=100, required=False, allow_blank=True)
    locationRegion = serializers.CharField(max_length=100, required=False, allow_blank=True)
    locationCountry = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sports = SportsField(required=False, max_length=20)
    hardwareModel = serializers.CharField(max_length=200, required=False, allow_blank=True)
    hardwareId = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tenant = serializers.CharField(max_length=64, required=False, allow_blank=True)
    product = serializers.SlugField(required=False)
    licenseKey = serializers.CharField(max_length=64, required=False, allow_blank=True)


class SiteResyncInput(StaffCredentials):
    siteId = serializers.CharField(max_length=64)


class SiteKeyOutput(serializers.Serializer):
    siteId = serializers.UUIDField()
    apiKey = serializers.CharField(help_text="SITE_API_KEY, shown once.")
    config = serializers.DictField(help_text="The lines of /etc/neopro/site.conf.")


def _answer(result, status):
    body = {
        "siteId": result.site.pk,
        "apiKey": result.api_key,
        "SITE_ID": str(result.site.pk),
        "SITE_API_KEY": result.api_key,
        "config": site_config(result.site, result.api_key),
    }
    return Response(body, status=status)


class _StaffCredentialsView(PublicNodeView):
    throttle_classes = [AddressThrottle, AccountThrottle]
    throttle_scope = "site_auth"
    throttle_account_field = "email"
    # Wrong credentials; a user without the permission; a hardware id taken, a site inactive.
    error_statuses = (401, 403, 409, 429)


class SiteRegisterView(_StaffCredentialsView):
    """`POST /api/v1/sites/register`: a new site and its `SITE_API_KEY` (shown once)."""

    @extend_schema(request=SiteRegisterInput, responses={201: SiteKeyOutput})
    def post(self, request):
        data = SiteRegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        credentials = {"email": d.pop("email"), "password": d.pop("password")}
        options = {
            "tenant": d.pop("tenant", "") or None,
            "product": d.pop("product", None),
            "license_key": d.pop("licenseKey", "") or None,
            "hardware_id": d.pop("hardwareId", ""),
        }
        result = site_register(**credentials, profile=d, **options)
        return _answer(result, 201)


class SiteResyncView(_StaffCredentialsView):
    """`POST /api/v1/sites/resync`: a new key for the site; the old one stops working."""

    @extend_schema(request=SiteResyncInput, responses={200: SiteKeyOutput})
    def post(self, request):
        data = SiteResyncInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        result = site_resync(email=d["email"], password=d["password"], site_id=d["siteId"])
        return _answer(result, 200)
