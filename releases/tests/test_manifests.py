"""Signed update manifests on every offer, verified as a client would (clients/relais_verify.py,
with PyNaCl and with `cryptography`); signing costs the update check no query, write or
signature."""

import json
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from clients.relais_verify import (
    BACKENDS,
    VerificationError,
    load_keys,
    verify_manifest,
    verify_signed,
)
from devices.tests.factories import DeviceFactory
from licensing.models import Product
from licensing.tests.factories import LicenseFactory, ProductFactory
from releases import manifests
from releases.models import Release
from releases.services.releases import release_yank
from releases.tests.factories import ReleaseFactory, forget_caches, published_release

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/updates/check"


@pytest.fixture
def product():
    return ProductFactory()


@pytest.fixture
def device(product):
    return DeviceFactory(license__policy__product=product, app_version="1.0.0")


@pytest.fixture
def keys(api_client):
    return load_keys(api_client.get("/api/v1/keys").json())


def _check(client, device, **params):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device.token}")
    return client.get(CHECK, {"version": device.app_version, **params}).json()


def _manifest(body) -> dict:
    return json.loads(body["manifest"])


@pytest.mark.parametrize("backend", ["nacl", "cryptography"])
def test_the_canonical_offer_carries_a_manifest_that_verifies(
    api_client, product, device, keys, backend
):
    release = published_release(product=product, version="1.1.0", content=b"x" * 1000)
    body = _check(api_client, device)
    artifact = release.artifacts.get()
    manifest = verify_manifest(
        body, keys, state={}, product=product.slug, tenant=str(device.tenant_id),
        backend=BACKENDS[backend],
    )  # fmt: skip
    assert manifest == {
        "type": "relais.update-manifest/v1",
        "product": product.slug,
        "serial": Product.objects.get(pk=product.pk).manifest_serial,
        "expiresAt": manifest["expiresAt"],
        "version": "1.1.0",
        "tenant": None,
        "artifactId": str(artifact.pk),
        "platform": "any",
        "size": 1000,
        "sha256": artifact.sha256,
        "sha512": artifact.sha512,
        "vendorSignature": None,
        "mandatory": False,
    }
    # Canonical: sorted keys, no whitespace, UTF-8.
    assert body["manifest"] == json.dumps(manifest, sort_keys=True, separators=(",", ":"))


def test_mandatory_is_signed_as_offered(api_client, product, device, keys):
    published_release(product=product, version="1.1.0", is_mandatory=True)
    published_release(product=product, version="1.2.0")
    skipping = _check(api_client, device)
    assert skipping["mandatory"] is True and _manifest(skipping)["mandatory"] is True
    direct = _check(api_client, device, version="1.1.0")
    assert direct["mandatory"] is False and _manifest(direct)["mandatory"] is False
    for body in (skipping, direct):
        verify_manifest(body, keys)


def test_a_restricted_release_names_its_tenant(api_client, product, device, keys):
    published_release(product=product, version="1.1.0", tenant=device.tenant)
    manifest = verify_manifest(_check(api_client, device), keys, tenant=str(device.tenant_id))
    assert manifest["tenant"] == str(device.tenant_id)
    with pytest.raises(VerificationError) as refused:
        verify_manifest(_check(api_client, device), keys, tenant="someone-else")
    assert refused.value.code == "TENANT_MISMATCH"


def test_the_vendor_signature_is_passed_along(api_client, product, device, keys):
    release = ReleaseFactory(product=product, version="1.1.0")
    from django.core.files.base import ContentFile

    from releases.services.releases import artifact_create, release_publish

    artifact_create(release=release, file=ContentFile(b"exe" * 10), signature="vendor-sig==")
    release_publish(release=release)
    body = _check(api_client, device)
    assert body["vendorSignature"] == "vendor-sig=="
    assert verify_manifest(body, keys)["vendorSignature"] == "vendor-sig=="


def test_the_dialects_offers_verify(api_client, keys, local_storage):
    license = LicenseFactory()
    published_release(product=license.product, version="1.1.0")
    body = api_client.get("/update/check", {"tenantId": license.tenant_id, "version": "1.0.0"})
    manifest = verify_manifest(body.json(), keys, product=license.product.slug)
    assert manifest["version"] == body.json()["latestVersion"] == "1.1.0"

    open_product = ProductFactory(slug="datashare", distribution=Product.Distribution.OPEN)
    published_release(product=open_product, version="2.0.0")
    body = api_client.get("/api/updates/latest").json()
    manifest = verify_manifest(body, keys, product="datashare")
    assert (manifest["version"], manifest["sha256"]) == (body["version"], body["sha256"])


def test_no_manifest_when_signing_is_off(api_client, product, device, settings):
    settings.RELAIS_SIGNING = False
    published_release(product=product, version="1.1.0")
    body = _check(api_client, device)
    assert body["updateAvailable"] is True
    assert not {"manifest", "signature", "kid"} & set(body)


# --- Client rules ------------------------------------------------------------------------


def test_any_changed_byte_breaks_the_signature(api_client, product, device, keys):
    published_release(product=product, version="1.1.0")
    body = _check(api_client, device)
    data = body["manifest"].encode()
    verify_signed(data, body["signature"], body["kid"], keys)
    for i in range(len(data)):
        changed = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
        with pytest.raises(VerificationError) as refused:
            verify_signed(changed, body["signature"], body["kid"], keys)
        assert refused.value.code == "BAD_SIGNATURE"
    forged = body | {"manifest": body["manifest"].replace('"size":', '"size":1')}
    with pytest.raises(VerificationError) as refused:
        verify_manifest(forged, keys)
    assert refused.value.code == "BAD_SIGNATURE"


def test_a_body_field_that_disagrees_with_the_manifest_is_refused(
    api_client, product, device, keys
):
    published_release(product=product, version="1.1.0")
    body = _check(api_client, device) | {"checksum": "0" * 64}
    with pytest.raises(VerificationError) as refused:
        verify_manifest(body, keys)
    assert refused.value.code == "MISMATCH"


def test_unknown_other_and_expired_key_ids_are_refused(api_client, product, device, settings):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from core.signatures import b64url, key_id, public_raw

    published_release(product=product, version="1.1.0")
    body = _check(api_client, device)
    other = Ed25519PrivateKey.generate()
    other_jwk = {"kid": key_id(public_raw(other)), "kty": "OKP", "crv": "Ed25519"}
    other_jwk["x"] = b64url(public_raw(other))
    published = api_client.get("/api/v1/keys").json()["keys"]
    cases = {
        "UNKNOWN_KID": [other_jwk],  # a client that trusts another key only
        "BAD_SIGNATURE": None,  # the envelope names a trusted key that did not sign it
        "KEY_EXPIRED": [published[0] | {"notAfter": "2020-01-01T00:00:00Z"}],
        "KEY_NOT_YET_VALID": [published[0] | {"notBefore": "2099-01-01T00:00:00Z"}],
    }
    for code, jwks in cases.items():
        sent = body
        if jwks is None:
            jwks, sent = [*published, other_jwk], body | {"kid": other_jwk["kid"]}
        with pytest.raises(VerificationError) as refused:
            verify_manifest(sent, load_keys(jwks))
        assert refused.value.code == code


def test_an_expired_manifest_is_refused(api_client, product, device, keys, settings):
    published_release(product=product, version="1.1.0")
    body = _check(api_client, device)
    expires = datetime.fromisoformat(_manifest(body)["expiresAt"].replace("Z", "+00:00"))
    assert expires - datetime.now(UTC) > timedelta(seconds=settings.RELAIS_MANIFEST_TTL - 60)
    verify_manifest(body, keys, now=expires - timedelta(seconds=1))
    with pytest.raises(VerificationError) as refused:
        verify_manifest(body, keys, now=expires)
    assert refused.value.code == "MANIFEST_EXPIRED"


def test_the_serial_rises_with_every_change_and_an_older_manifest_is_a_rollback(
    api_client, product, device, keys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        published_release(product=product, version="1.1.0")
    old = _check(api_client, device)
    with django_capture_on_commit_callbacks(execute=True):
        newer = published_release(product=product, version="1.2.0")
    new = _check(api_client, device)
    assert _manifest(new)["serial"] > _manifest(old)["serial"]
    with django_capture_on_commit_callbacks(execute=True):
        release_yank(release=Release.objects.get(pk=newer.pk))
    after_yank = _check(api_client, device)
    assert after_yank["version"] == "1.1.0"
    assert _manifest(after_yank)["serial"] > _manifest(new)["serial"]

    state = {}
    verify_manifest(old, keys, state=state)
    verify_manifest(new, keys, state=state)
    verify_manifest(new, keys, state=state)  # the same serial again is fine
    with pytest.raises(VerificationError) as refused:
        verify_manifest(old, keys, state=state)  # a replayed, older, validly signed offer
    assert refused.value.code == "ROLLBACK"
    assert verify_manifest(after_yank, keys, state=state)["version"] == "1.1.0"


# --- Cost: signed when the catalogue is built, never per request ------------------------


def test_checks_never_sign_and_keep_their_query_budget(
    api_client, product, device, django_assert_num_queries
):
    for i in range(5):
        published_release(product=product, version=f"1.{i + 1}.0")
    forget_caches()
    with mock.patch.object(manifests, "sign_bytes", wraps=manifests.sign_bytes) as signer:
        with django_assert_num_queries(2):  # cold: authentication + the catalogue
            first = _check(api_client, device)
        assert signer.call_count == 5 * 2  # each artifact, mandatory or not, once
        for version in ("1.0.0", "1.2.0", "1.5.0", "9.0.0") * 3:
            with django_assert_num_queries(0):  # warm: credentials kept, catalogue memoised
                _check(api_client, device, version=version)
        assert signer.call_count == 5 * 2
    assert _check(api_client, device)["manifest"] == first["manifest"]


def test_signing_adds_no_query(api_client, product, device, settings, django_assert_num_queries):
    published_release(product=product, version="1.1.0")
    for signing in (False, True):
        settings.RELAIS_SIGNING = signing
        forget_caches()
        with django_assert_num_queries(2):
            assert ("manifest" in _check(api_client, device)) is signing
        with django_assert_num_queries(0):
            _check(api_client, device)


def test_a_catalogue_is_rebuilt_before_its_manifests_could_expire(
    api_client, product, device, settings, django_assert_num_queries
):
    """Served at most RELAIS_CATALOGUE_CACHE_SECONDS after it was signed, from a worker's
    memo or the shared cache, whatever the generation says."""
    published_release(product=product, version="1.1.0")
    first = _manifest(_check(api_client, device))["expiresAt"]
    with django_assert_num_queries(0):  # memoised (and in the shared cache)
        _check(api_client, device)
    later = time.time() + settings.RELAIS_CATALOGUE_CACHE_SECONDS + 1
    with mock.patch("time.time", return_value=later), django_assert_num_queries(1):
        again = _manifest(_check(api_client, device))["expiresAt"]  # rebuilt, signed again
    assert again >= first
