import hashlib
import os
import subprocess
import sys
from pathlib import Path

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from devices.tests.factories import DeviceFactory
from licensing.tests.factories import ProductFactory
from releases.models import Artifact, Release, Rollout, UpdateDay, UpdateSession
from releases.services.releases import artifact_create, release_publish
from releases.services.sessions import session_id

ROOT = Path(__file__).resolve().parents[2]


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    product = factory.SubFactory(ProductFactory)
    version = factory.Sequence(lambda n: f"1.{n + 1}.0")
    major = factory.LazyAttribute(lambda o: int(o.version.split(".")[0]))
    minor = factory.LazyAttribute(lambda o: int(o.version.split(".")[1]))
    patch = factory.LazyAttribute(lambda o: int(o.version.split(".")[2].split("-")[0]))
    notes = factory.LazyAttribute(lambda o: f"- Version {o.version}")


def published_release(
    *, product, version, platform="any", content=None, platforms=(), **fields
) -> Release:
    """A release with an artifact per platform stored through the service, then published."""
    release = ReleaseFactory(product=product, version=version, **fields)
    for name in platforms or [platform]:
        data = content or f"{product.slug} {version} {name}".encode() * 100
        artifact_create(
            release=release, file=ContentFile(data), platform=name, filename=f"app-{version}.zip"
        )
    return release_publish(release=release)


def forget_caches() -> None:
    """Empty the shared cache and this process's memo of catalogues: the invalidation a
    non-transactional test cannot get from on_commit."""
    from django.core.cache import cache

    from core import credentials
    from core.api import throttles
    from devices.services import contacts
    from releases import catalogue

    cache.clear()
    catalogue.catalogue_forget()
    throttles.throttles_forget()
    credentials.credentials_forget()
    contacts.contacts_forget()


def in_another_process(code: str) -> None:
    """Run `code` in a second Python process of this installation (same settings, the test
    database and the shared cache), as another web or worker process would."""
    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    database = connection.settings_dict
    if connection.vendor == "postgresql":  # the test database, not the one the URL names
        password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}"
        )
    script = f"import django\ndjango.setup()\n{code}"
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60, cwd=ROOT)


def content_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _release_of(tenant):
    return published_release(product=ProductFactory(), version="2.0.0", tenant=tenant)


def _artifact_of(tenant):
    return _release_of(tenant).artifacts.get()


def _session_of(tenant):
    release = _release_of(tenant)
    device = DeviceFactory(license__tenant=tenant, license__policy__product=release.product)
    return UpdateSession.objects.create(
        id=session_id(device.pk, release.pk),
        device=device,
        release=release,
        to_version=release.version,
        updated_at=timezone.now(),
    )


def _rollout_of(tenant):
    from releases.services.rollouts import rollout_start

    return rollout_start(release=_release_of(tenant), stages=[{"percent": 10}])


TENANT_FACTORIES = {
    Rollout: _rollout_of,
    UpdateDay: lambda tenant: UpdateDay.objects.create(
        tenant=tenant, product=ProductFactory(), day=timezone.localdate(), completed=1
    ),
    Release: _release_of,
    Artifact: _artifact_of,
    UpdateSession: _session_of,
}
