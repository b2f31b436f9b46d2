"""Platform keys: loading, key ids, rotation overlap, canonical JSON, GET /api/v1/keys."""

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core import signatures
from core.signatures import (
    SigningKeyError,
    b64url,
    canonical_json,
    keyring,
    private_key_load,
    private_key_pem,
    public_raw,
)

SEED = bytes(range(32))


def _seed_b64(seed=SEED) -> str:
    return base64.b64encode(seed).decode()


def test_canonical_json_is_sorted_compact_utf8():
    value = {"b": [1, True, None], "a": 'é\n"', "c": {"z": 1, "y": ""}}
    assert canonical_json(value) == '{"a":"é\\n\\"","b":[1,true,null],"c":{"y":"","z":1}}'.encode()


@pytest.mark.parametrize("value", [{"a": 1.5}, {"é": 1}, {1: "x"}, {"a": object()}])
def test_canonical_json_refuses_what_it_cannot_reproduce(value):
    with pytest.raises(TypeError):
        canonical_json(value)


def test_a_key_loads_from_pem_or_raw_base64_with_the_same_kid():
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    from_pem = private_key_load(private_key_pem(key))
    from_raw = private_key_load(_seed_b64())
    from_url = private_key_load(b64url(SEED))
    assert public_raw(from_pem) == public_raw(from_raw) == public_raw(from_url)
    assert signatures.key_id(public_raw(key)) == hashlib.sha256(public_raw(key)).hexdigest()[:16]


@pytest.mark.parametrize(
    "text",
    ["", "not base64!", _seed_b64(b"x" * 31), "-----BEGIN PRIVATE KEY-----\nAA==\n-----END"],
)
def test_unusable_keys_are_refused_with_a_reason(text):
    with pytest.raises(SigningKeyError):
        private_key_load(text)


def test_the_embedded_default_generates_its_key_once(settings, tmp_path):
    settings.RELAIS_SIGNING_KEY = ""
    settings.RELAIS_SIGNING_KEY_FILE = str(tmp_path / "k.pem")
    settings.RELAIS_SIGNING_KEY_GENERATE = True
    first = keyring().current.kid
    keyring.cache_clear()
    assert keyring().current.kid == first
    assert (tmp_path / "k.pem").stat().st_mode & 0o077 == 0  # private to its owner


def _rotated(settings, *, not_after):
    old = Ed25519PrivateKey.generate()
    settings.RELAIS_SIGNING_KEY = _seed_b64()
    settings.RELAIS_SIGNING_PREVIOUS_KEYS = [f"{b64url(public_raw(old))}@{not_after}"]
    return signatures.key_id(public_raw(old))


def test_keys_lists_the_current_key_and_the_previous_one_during_its_overlap(api_client, settings):
    future = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    old_kid = _rotated(settings, not_after=future)
    keys = api_client.get("/api/v1/keys").json()["keys"]
    current = Ed25519PrivateKey.from_private_bytes(SEED)
    assert [k["kid"] for k in keys] == [signatures.key_id(public_raw(current)), old_kid]
    assert keys[0] | {"notBefore": None} == {
        "kid": keys[0]["kid"],
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
        "x": b64url(public_raw(current)),
        "notBefore": None,
        "notAfter": None,
    }
    assert keys[1]["notAfter"].endswith("Z")
    assert api_client.get(f"/api/v1/keys/{old_kid}").json()["kid"] == old_kid


def test_a_previous_key_past_its_not_after_is_no_longer_published(api_client, settings):
    old_kid = _rotated(settings, not_after="2020-01-01T00:00:00Z")
    keys = api_client.get("/api/v1/keys").json()["keys"]
    assert old_kid not in [k["kid"] for k in keys] and len(keys) == 1
    response = api_client.get(f"/api/v1/keys/{old_kid}")
    assert response.status_code == 404 and response.json()["code"] == "UNKNOWN_KID"


def test_keys_is_empty_when_signing_is_off(api_client, settings):
    settings.RELAIS_SIGNING = False
    assert api_client.get("/api/v1/keys").json() == {"keys": []}
    assert not signatures.signing_enabled()


def test_signatures_verify_under_the_published_key(settings):
    settings.RELAIS_SIGNING_KEY = _seed_b64()
    signature = signatures.sign_bytes(b"payload")
    public = Ed25519PrivateKey.from_private_bytes(SEED).public_key()
    public.verify(base64.b64decode(signature.value), b"payload")  # raises if not
    assert signature.kid == keyring().current.kid
