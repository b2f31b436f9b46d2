"""Binary deltas to a published release's artifacts from the last RELAIS_DELTA_SOURCES
published versions of the same product and platform, stored beside the artifact with their
own size and sha256, and listed on the artifact so that the catalogue offers them."""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core.services import events

from ..catalogue import catalogue_invalidate
from ..deltas import DELTA_FORMAT, delta_make
from ..models import Artifact, Release
from ..versions import parse_version

logger = logging.getLogger(__name__)


def delta_sources(artifact: Artifact) -> list[Artifact]:
    """The artifacts of the newest earlier published versions, same product and platform."""
    target = parse_version(artifact.release.version)
    candidates = Artifact.objects.select_related("release").filter(
        release__product_id=artifact.release.product_id,
        release__status=Release.Status.PUBLISHED,
        platform=artifact.platform,
    )
    older = [a for a in candidates if parse_version(a.release.version) < target]
    older.sort(key=lambda a: parse_version(a.release.version), reverse=True)
    return older[: settings.RELAIS_DELTA_SOURCES]


def _read(name: str | None) -> bytes:
    if not name:
        raise FileNotFoundError("the artifact has no file")
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _delta_entry(artifact: Artifact, source: Artifact, new: bytes) -> dict | None:
    """Made and stored; None when it would not be smaller than the full file."""
    delta = delta_make(_read(source.file.name), new)
    if len(delta) >= artifact.size:
        return None
    name = default_storage.save(f"deltas/{artifact.pk}/{source.pk}.zst", ContentFile(delta))
    return {
        "fromArtifact": str(source.pk),
        "fromVersion": source.release.version,
        "file": name,
        "size": len(delta),
        "sha256": hashlib.sha256(delta).hexdigest(),
        "format": DELTA_FORMAT,
    }


def artifact_deltas_make(*, artifact_id) -> int:
    """The missing deltas to one artifact; safe to run twice (what exists is kept). Both
    files are read whole: artifacts over RELAIS_DELTA_MAX_BYTES get none. Marked made
    (`deltas_made_at`) once tried, whatever came of it, so the sweep does not try again."""
    artifact = Artifact.objects.select_related("release", "release__product").get(pk=artifact_id)
    if artifact.release.status != Release.Status.PUBLISHED:
        return 0
    made = _deltas_make(artifact)
    Artifact.objects.filter(pk=artifact.pk).update(deltas_made_at=timezone.now())
    return made


def _deltas_make(artifact: Artifact) -> int:
    limit = settings.RELAIS_DELTA_MAX_BYTES
    if artifact.size > limit:
        return 0
    have = {d["fromArtifact"] for d in artifact.deltas}
    sources = [s for s in delta_sources(artifact) if str(s.pk) not in have and s.size <= limit]
    if not sources:
        return 0
    new = _read(artifact.file.name)
    made = [e for e in (_delta_entry(artifact, s, new) for s in sources) if e is not None]
    if not made:
        return 0
    with transaction.atomic():
        row = Artifact.objects.select_for_update().get(pk=artifact.pk)
        known = {d["fromArtifact"] for d in row.deltas}
        row.deltas = [*row.deltas, *(e for e in made if e["fromArtifact"] not in known)]
        row.save(update_fields=["deltas"])
        release = artifact.release
        events.publish(
            "artifact.deltas_made",
            tenant=release.tenant,
            payload={
                "releaseId": release.pk,
                "product": release.product.slug,
                "version": release.version,
                "channel": release.channel,
                "status": release.status,
                "artifactId": artifact.pk,
                "platform": artifact.platform,
                "fromVersions": [e["fromVersion"] for e in made],
            },
        )
        catalogue_invalidate(release.product_id)
    return len(made)


def release_deltas_make(*, release_id) -> int:
    """The deltas of every artifact of a published release (the task run on publish)."""
    if settings.RELAIS_DELTA_SOURCES <= 0:
        return 0
    made = 0
    for artifact_id in Artifact.objects.filter(release_id=release_id).values_list("pk", flat=True):
        try:
            made += artifact_deltas_make(artifact_id=artifact_id)
        except Exception:
            logger.exception("Deltas to artifact %s not made", artifact_id)
    return made


def deltas_sweep(*, now=None) -> int:
    """The deltas the task queued on publish did not make (the broker was down, the worker
    died): artifacts of releases published within RELAIS_DELTA_SWEEP_DAYS not yet tried,
    newest first, at most RELAIS_DELTA_SWEEP_BATCH a run (the beat's sweep). How many
    artifacts were tried."""
    if settings.RELAIS_DELTA_SOURCES <= 0:
        return 0
    now = now or timezone.now()
    since = now - timedelta(days=settings.RELAIS_DELTA_SWEEP_DAYS)
    pending = Artifact.objects.filter(
        deltas_made_at__isnull=True,
        release__status=Release.Status.PUBLISHED,
        release__published_at__gte=since,
    ).order_by("-release__published_at")[: settings.RELAIS_DELTA_SWEEP_BATCH]
    tried = 0
    for artifact_id in list(pending.values_list("pk", flat=True)):
        try:
            artifact_deltas_make(artifact_id=artifact_id)
        except Exception:
            logger.exception("Deltas to artifact %s not made", artifact_id)
            continue
        tried += 1
    return tried


def release_published_deltas(event) -> None:
    """Subscriber (ReleasesConfig.ready): a published release's deltas, by the worker."""
    if event.type != "release.published":
        return
    from core.tasks import queue_after_commit

    from ..tasks import release_deltas_make_task

    queue_after_commit(release_deltas_make_task, str(event.payload["releaseId"]))
