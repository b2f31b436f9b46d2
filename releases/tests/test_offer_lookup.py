"""The offer is a lookup per audience; it must say what a walk over the releases says."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from releases.catalogue import Catalogue, CatalogueArtifact, CatalogueRelease
from releases.services import check
from releases.services.check import Audience, PlatformRequired, latest_offer, pick_artifact
from releases.versions import parse_version

PLATFORMS = ["any", "windows-x86_64", "linux-x86_64", "linux-aarch64"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _walk(catalogue, audience, current):
    """The update check as it was: walk newest first down to the device's version."""
    best, mandatory = None, False
    for release in catalogue:
        if current is not None and release.semver <= current:
            break
        if not check.release_eligible(release, audience):
            continue
        try:
            artifact = pick_artifact(release, audience.platform, audience.guessed)
        except PlatformRequired as refusal:  # refused only if it would have been the offer
            artifact = refusal
        if best is None:
            if artifact is None:
                continue
            best = (release, artifact)
        mandatory = mandatory or release.is_mandatory
    if best is not None and isinstance(best[1], PlatformRequired):
        return ("refused", best[1].extra["platforms"])
    return None if best is None else (best[0].version, best[1].id, mandatory)


def _catalogue(rng):
    releases = []
    for minor in rng.sample(range(1, 60), 25):
        version = f"1.{minor}.0"
        artifacts = {
            p: CatalogueArtifact(f"{version}-{p}", p, "f", 1, "s", "s")
            for p in rng.sample(PLATFORMS, rng.randint(1, 3))
        }
        releases.append(
            CatalogueRelease(
                id=version,
                version=version,
                channel=rng.choice(["stable", "stable", "beta", "alpha"]),
                notes="",
                is_mandatory=rng.random() < 0.2,
                published_at=T0 + timedelta(days=rng.randint(0, 100)),
                tenant_id=rng.choice([None, None, None, "t1", "t2"]),
                semver=parse_version(version),
                artifacts=artifacts,
            )
        )
    return Catalogue(sorted(releases, key=lambda r: r.semver, reverse=True))


@pytest.mark.parametrize("seed", range(20))
def test_the_lookup_offers_what_the_walk_offers(monkeypatch, seed):
    rng = random.Random(seed)
    catalogue = _catalogue(rng)
    monkeypatch.setattr(check, "catalogue_for_product", lambda product_id: catalogue)
    for _ in range(200):
        platform = rng.choice(["", *PLATFORMS[1:]])
        audience = Audience(
            tenant_id=rng.choice([None, "t1", "t2", "t3"]),
            channel=rng.choice(["stable", "beta", "alpha"]),
            platform=platform,
            guessed=bool(platform) and rng.random() < 0.5,
            updates_until=rng.choice([None, T0 + timedelta(days=rng.randint(0, 100))]),
        )
        current = rng.choice([None, "1.0.0", f"1.{rng.randint(1, 60)}.0"])
        try:
            offer = latest_offer(product_id=1, audience=audience, current_version=current)
        except PlatformRequired as refusal:
            got: tuple | None = ("refused", refusal.extra["platforms"])
        else:
            got = (
                None
                if offer is None
                else (offer.release.version, offer.artifact.id, offer.mandatory)
            )
        expected = _walk(catalogue, audience, parse_version(current) if current else None)
        assert got == expected, (audience, current)
