"""The updaters' feeds: thin views over feeds.selectors (the update check's offer)."""

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.views import NodeView
from feeds.formats import (
    electron_up_to_date,
    electron_yaml,
    sparkle_appcast,
    tauri_body,
    velopack_feed,
)
from feeds.selectors import (
    electron_platform,
    feed_audience,
    feed_not_found,
    feed_offer,
    feed_product,
    sparkle_platform,
    staging_percent,
    tauri_platform,
    velopack_platform,
)
from feeds.services import feed_device_on


def download_url(request, artifact) -> str:
    """The existing download route, ending in the file's name (credentials as for the feed:
    the updaters send the same headers to both)."""
    url = reverse("update-download-named", args=[artifact.id, artifact.filename])
    return request.build_absolute_uri(url)


class FeedView(NodeView):
    """Anonymous for `open` products; otherwise `Authorization: Bearer` with a device token,
    or a license key (with `hardwareId` to be counted as the device)."""

    license_only_ok = True
    permission_classes = []

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # A licensed feed is the caller's own: no shared cache keeps it.
        anonymous = getattr(request.user, "license", None) is None
        response["Cache-Control"] = "no-cache" if anonymous else "private, no-cache"
        return response


class ElectronFeedView(FeedView):
    """`GET /feeds/<product>/<channel>/latest.yml` (and `latest-mac.yml`,
    `latest-linux.yml`, `latest-linux-arm64.yml`, `latest-linux-armv7l.yml`):
    electron-updater's generic provider."""

    @extend_schema(responses={(200, "text/yaml"): OpenApiTypes.STR})
    def get(self, request, product, channel, filename):
        found = feed_product(slug=product, channel=channel)
        platform = electron_platform(filename=filename, principal=request.user)
        audience = feed_audience(
            product=found, principal=request.user, channel=channel, platform=platform, staged=True
        )
        # electron-updater sends no version: an app that puts `?version=` in its feed URL (the
        # provider keeps the URL's query) is offered the stepping stone it must install first.
        version = request.GET.get("version") or None
        offer = feed_offer(product=found, audience=audience, current_version=version)
        feed_device_on(principal=request.user, product_id=found.pk, version=version)
        if offer is not None:
            text = electron_yaml(
                offer, download_url(request, offer.artifact), staging_percent(offer, audience)
            )
        elif version is not None:
            text = electron_up_to_date(version)
        else:
            raise feed_not_found()
        return HttpResponse(text, content_type="text/yaml; charset=utf-8")


class TauriFeedView(FeedView):
    """`GET /feeds/<product>/<channel>/tauri/<target>/<arch>/<current_version>`: Tauri's
    dynamic endpoint; 204 when up to date."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 204: None})
    def get(self, request, product, channel, target, arch, current_version):
        found = feed_product(slug=product, channel=channel)
        platform = tauri_platform(target=target, arch=arch)
        audience = feed_audience(
            product=found, principal=request.user, channel=channel, platform=platform
        )
        offer = feed_offer(product=found, audience=audience, current_version=current_version)
        feed_device_on(principal=request.user, product_id=found.pk, version=current_version)
        if offer is None:
            return Response(status=204)
        return Response(tauri_body(offer, download_url(request, offer.artifact)))


class VelopackFeedView(FeedView):
    """`GET /feeds/<product>/<channel>/releases.<win|osx|linux>.json[?arch&localVersion&id]`:
    Velopack's release index."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, product, channel, vchannel):
        found = feed_product(slug=product, channel=channel)
        platform = velopack_platform(vchannel=vchannel, arch=request.GET.get("arch"))
        audience = feed_audience(
            product=found, principal=request.user, channel=channel, platform=platform
        )
        version = request.GET.get("localVersion") or None
        offer = feed_offer(product=found, audience=audience, current_version=version)
        feed_device_on(principal=request.user, product_id=found.pk, version=version)
        url = download_url(request, offer.artifact) if offer else None
        return Response(velopack_feed(offer, url, package_id=request.GET.get("id") or found.slug))


class SparkleFeedView(FeedView):
    """`GET /feeds/<product>/<channel>/appcast.xml[?arch&appVersion]`: Sparkle's appcast."""

    @extend_schema(responses={(200, "application/rss+xml"): OpenApiTypes.STR})
    def get(self, request, product, channel):
        found = feed_product(slug=product, channel=channel)
        platform = sparkle_platform(arch=request.GET.get("arch"), principal=request.user)
        audience = feed_audience(
            product=found, principal=request.user, channel=channel, platform=platform
        )
        # Sparkle's system profile sends `appVersion`; an app may put `version` in its URL.
        version = request.GET.get("appVersion") or request.GET.get("version") or None
        offer = feed_offer(product=found, audience=audience, current_version=version)
        feed_device_on(principal=request.user, product_id=found.pk, version=version)
        url = download_url(request, offer.artifact) if offer else None
        text = sparkle_appcast(offer, url, title=found.name)
        return HttpResponse(text, content_type="application/rss+xml; charset=utf-8")
