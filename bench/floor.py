"""The floors the node routes are measured against (bench only, never in the product's URLs).

- `constant`: a plain Django view returning constant JSON through the full middleware:
  what a request costs before any work.
- `auth-floor`: a plain Django view doing the node authentication's one ORM query (device
  token, or license key + hardwareId) and returning constant JSON: what the check could cost
  if the framework around it cost nothing.
"""

from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as relais_urlpatterns
from devices.models import Device
from licensing.keys import license_key_normalize, secret_hash

CONSTANT = b'{"ok":true}'


@csrf_exempt
def constant(request):
    return HttpResponse(CONSTANT, content_type="application/json")


@csrf_exempt
def auth_floor(request):
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0] != "Bearer":
        return JsonResponse({"code": "UNAUTHORIZED"}, status=401)
    devices = Device.objects.select_related("license", "tenant").filter(status="active")
    hardware_id = request.GET.get("hardwareId")
    if hardware_id:
        key_hash = secret_hash(license_key_normalize(header[1]))
        found = devices.filter(license__key_hash=key_hash, hardware_id=hardware_id)[:1]
        device = next(iter(found), None)
    else:
        device = devices.filter(token_hash=secret_hash(header[1])).first()
    if device is None:
        return JsonResponse({"code": "DEVICE_NOT_ACTIVATED"}, status=401)
    return HttpResponse(CONSTANT, content_type="application/json")


urlpatterns = [
    path("bench/constant", constant),
    path("bench/auth-floor", auth_floor),
    *relais_urlpatterns,
]
