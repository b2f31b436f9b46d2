"""The published releases of a product, as plain data, cached.

The update check reads only this (plus the device it authenticated), so its cost does not
grow with the fleet. One SQL query builds it. Entries are keyed by a generation number
that any change to a release or an artifact bumps after commit: a reader that built a
list from the old rows can only store it under the old generation, where nobody looks.
A TTL bounds the rest.

Each worker process also keeps the lists it used, with their generation: a check then
reads the small generation number from the shared cache and, when it has not moved,
nothing else (no large GET, no unpickling per request).

Each artifact carries its signed update manifests (releases.manifests), made here, once per
build. A catalogue is served, from the shared cache or a worker's memo, only while it is
younger than RELAIS_CATALOGUE_CACHE_SECONDS, and manifests expire RELAIS_MANIFEST_TTL
(at least twice that) after the build: no manifest is ever served expired.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import semver
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.signatures import signing_enabled

from .cohorts import RolloutState
from .manifests import SignedManifest, manifests_sign
from .models import Artifact, Release
from .versions import parse_version


@dataclass(frozen=True)
class CatalogueArtifact:
    id: str
    platform: str
    filename: str
    size: int
    sha256: str
    sha512: str
    vendor_signature: str = ""
    # (not mandatory, mandatory); empty when signing is off.
    manifests: tuple[SignedManifest, ...] = ()
    # from-version -> delta entry (releases.services.deltas), as stored on the artifact.
    deltas: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogueRelease:
    id: str
    version: str
    channel: str
    notes: str
    is_mandatory: bool
    published_at: datetime
    tenant_id: str | None
    semver: semver.Version  # parsed once, when the catalogue is built
    artifacts: dict[str, CatalogueArtifact] = field(default_factory=dict)
    rollout: RolloutState | None = None  # None: offered to everyone
    is_stepping_stone: bool = False  # older devices install it before anything newer


def rollout_state(rollout) -> RolloutState | None:
    if rollout is None:
        return None
    return RolloutState(
        id=str(rollout.pk),
        status=rollout.status,
        percent=rollout.percent,
        forced=rollout.forced,
        overrides_windows=rollout.overrides_windows,
        tenant_ids=frozenset(str(t) for t in rollout.target_tenant_ids),
        device_ids=frozenset(str(d) for d in rollout.target_device_ids),
    )


class Catalogue(list):
    """The releases of a product, newest first, plus what the update check derives from
    them once per worker and generation (see updates.latest_offer): `shelves`, the offer
    per audience, filled as audiences come; the publication times in order, to place a
    maintenance end; the tenants some release is restricted to."""

    def __init__(self, releases=(), built_at: float | None = None):
        super().__init__(releases)
        # When it was read and its manifests signed (epoch seconds): bounds how long it
        # is served (see _fresh).
        self.built_at = time.time() if built_at is None else built_at
        self.shelves: dict = {}
        self.published = sorted(r.published_at for r in self)
        self.restricted = {r.tenant_id for r in self if r.tenant_id}

    def __reduce__(self):  # cached as the plain list; the derived parts are rebuilt
        return (Catalogue, (list(self), self.built_at))


def _generation_key(product_id) -> str:
    return f"relais:catalogue-gen:{product_id}"


def _key(product_id, generation) -> str:
    return f"relais:catalogue:{product_id}:{generation}"


def _fresh(found) -> bool:
    """Younger than RELAIS_CATALOGUE_CACHE_SECONDS since it was built (and signed)."""
    age = time.time() - getattr(found, "built_at", 0)
    return age < settings.RELAIS_CATALOGUE_CACHE_SECONDS


def catalogue_build(product_id) -> Catalogue:
    built_at = time.time()
    expires_at = datetime.fromtimestamp(built_at + settings.RELAIS_MANIFEST_TTL, UTC)
    signing = signing_enabled()
    rows = (
        Artifact.objects.filter(
            release__product_id=product_id, release__status=Release.Status.PUBLISHED
        )
        # The release's rollout and product come by joins: still one query.
        .select_related("release", "release__current_rollout", "release__product")
        .only(
            *("id", "platform", "filename", "size", "sha256", "sha512", "signature", "deltas"),
            *("release__id", "release__version", "release__channel", "release__notes"),
            *("release__is_mandatory", "release__published_at", "release__tenant_id"),
            "release__is_stepping_stone",
            *("release__current_rollout__status", "release__current_rollout__percent"),
            *("release__current_rollout__forced", "release__current_rollout__target_tenant_ids"),
            "release__current_rollout__target_device_ids",
            "release__current_rollout__overrides_windows",
            *("release__product__slug", "release__product__manifest_serial"),
        )
    )
    releases: dict = {}
    for artifact in rows:
        r = artifact.release
        entry = releases.setdefault(
            r.pk,
            CatalogueRelease(
                id=str(r.pk),
                version=r.version,
                channel=r.channel,
                notes=r.notes,
                is_mandatory=r.is_mandatory,
                published_at=r.published_at,
                tenant_id=str(r.tenant_id) if r.tenant_id else None,
                semver=parse_version(r.version),
                rollout=rollout_state(r.current_rollout),
                is_stepping_stone=r.is_stepping_stone,
            ),
        )
        manifests = ()
        if signing:
            manifests = manifests_sign(
                product=r.product.slug,
                serial=r.product.manifest_serial,
                expires_at=expires_at,
                version=r.version,
                tenant_id=entry.tenant_id,
                artifact_id=str(artifact.pk),
                platform=artifact.platform,
                size=artifact.size,
                sha256=artifact.sha256,
                sha512=artifact.sha512,
                vendor_signature=artifact.signature,
            )
        entry.artifacts[artifact.platform] = CatalogueArtifact(
            id=str(artifact.pk),
            platform=artifact.platform,
            filename=artifact.filename,
            size=artifact.size,
            sha256=artifact.sha256,
            sha512=artifact.sha512,
            vendor_signature=artifact.signature,
            manifests=manifests,
            deltas={d["fromVersion"]: d for d in artifact.deltas},
        )
    newest_first = sorted(releases.values(), key=lambda r: r.semver, reverse=True)
    return Catalogue(newest_first, built_at=built_at)


logger = logging.getLogger(__name__)
# While the shared cache is down, invalidations cannot be seen: a worker rebuilds its
# catalogue from the database at least this often.
OUTAGE_MEMO_SECONDS = 10

# product id → [generation, monotonic time built, catalogue, monotonic time the generation
# was last read], per worker process.
_memo: dict = {}


def catalogue_for_product(product_id) -> Catalogue:
    """Newest first. A worker reads the generation from the shared cache at most every
    RELAIS_CATALOGUE_POLL_SECONDS: a change made in another process is seen within that
    time (this process's own changes at once, see `_bump`)."""
    ttl = settings.RELAIS_CATALOGUE_CACHE_SECONDS
    memo = _memo.get(product_id)
    now = time.monotonic()
    fresh = memo is not None and now - memo[1] < ttl and _fresh(memo[2])
    if fresh and now - memo[3] < settings.RELAIS_CATALOGUE_POLL_SECONDS:
        return memo[2]
    try:
        generation = cache.get(_generation_key(product_id), 0)
    except Exception:  # noqa: BLE001 - no shared cache: this worker's memo, else the database
        logger.warning("release catalogue read without the cache", exc_info=True)
        if fresh and now - memo[1] < OUTAGE_MEMO_SECONDS:
            return memo[2]
        found = catalogue_build(product_id)
        _memo[product_id] = [None, now, found, now]
        return found
    if fresh and memo[0] == generation:
        memo[3] = now
        return memo[2]
    try:
        found = cache.get(_key(product_id, generation))
    except Exception:  # noqa: BLE001 - the cache failed after answering: built here
        logger.warning("release catalogue read without the cache", exc_info=True)
        found = None
    if found is None or not _fresh(found):
        found = catalogue_build(product_id)
        try:
            cache.set(_key(product_id, generation), found, ttl)
        except Exception:  # noqa: BLE001 - the next worker builds it too
            logger.warning("release catalogue not stored in the cache", exc_info=True)
    _memo[product_id] = [generation, now, found, now]
    return found


def _bump(product_id) -> None:
    key = _generation_key(product_id)
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=None)
    _memo.pop(product_id, None)  # this process sees its own change at once


def catalogue_forget() -> None:
    """Forget this process's memo (the next check reads the shared cache, or builds)."""
    _memo.clear()


def catalogue_invalidate(product_id) -> None:
    transaction.on_commit(lambda: _bump(product_id))


def catalogue_refresh(product_id) -> None:
    """Invalidate now, not after commit: for work that runs after a change's commit but
    maybe before its own invalidation (an after-commit task, see feeds.tasks)."""
    _bump(product_id)
