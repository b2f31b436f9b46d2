"""Signed update manifests: what a client must trust about an offer, as canonical JSON
(core.signatures.canonical_json) signed with the platform key.

They are made when a product's catalogue is built, one pair per artifact (the offer's
`mandatory` also depends on the releases a device skips, so both values are signed), and
kept on the catalogue entry: an update check only copies strings, it never signs.

A manifest says: product, version, platform, artifact id, size, sha256 and sha512, the
vendor's own signature (or null), mandatory, tenant (null for a shared release), the
product's `serial` (raised with every change to its releases and artifacts; a client
refuses one lower than it has seen: rollback) and `expiresAt` (the catalogue's build time
plus RELAIS_MANIFEST_TTL; a client refuses it after that: freeze).
"""

from dataclasses import dataclass
from datetime import datetime

from core.signatures import canonical_json, iso, sign_bytes

MANIFEST_TYPE = "relais.update-manifest/v1"


@dataclass(frozen=True)
class SignedManifest:
    manifest: str  # canonical JSON, signed as its UTF-8 bytes
    signature: str  # base64
    kid: str

    def fields(self) -> dict:
        return {"manifest": self.manifest, "signature": self.signature, "kid": self.kid}


def manifest_document(
    *,
    product: str,
    serial: int,
    expires_at: datetime,
    version: str,
    tenant_id: str | None,
    artifact_id: str,
    platform: str,
    size: int,
    sha256: str,
    sha512: str,
    vendor_signature: str,
    mandatory: bool,
) -> dict:
    return {
        "type": MANIFEST_TYPE,
        "product": product,
        "serial": serial,
        "expiresAt": iso(expires_at),
        "version": version,
        "tenant": tenant_id,
        "artifactId": artifact_id,
        "platform": platform,
        "size": size,
        "sha256": sha256,
        "sha512": sha512,
        "vendorSignature": vendor_signature or None,
        "mandatory": mandatory,
    }


def manifest_sign(document: dict) -> SignedManifest:
    data = canonical_json(document)
    signature = sign_bytes(data)
    return SignedManifest(
        manifest=data.decode("utf-8"), signature=signature.value, kid=signature.kid
    )


def manifests_sign(**fields) -> tuple[SignedManifest, SignedManifest]:
    """(not mandatory, mandatory): index it with the offer's `mandatory`."""
    return (
        manifest_sign(manifest_document(**fields, mandatory=False)),
        manifest_sign(manifest_document(**fields, mandatory=True)),
    )


def offer_signed_fields(artifact, mandatory: bool) -> dict:
    """An offer's `manifest`, `signature` and `kid` (precomputed on its catalogue
    artifact), for a response body; {} when signing is off."""
    return artifact.manifests[bool(mandatory)].fields() if artifact.manifests else {}
