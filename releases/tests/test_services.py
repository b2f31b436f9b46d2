import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.exceptions import ApiError
from licensing.tests.factories import ProductFactory
from releases.models import Artifact, Release
from releases.services import releases as services
from releases.tests.factories import ReleaseFactory, published_release

pytestmark = pytest.mark.django_db


def _stored_files(prefix: str) -> list[str]:
    """Every file under `prefix`, on local storage or S3 alike."""
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return []
    return files + [f for d in dirs for f in _stored_files(f"{prefix}/{d}")]


def test_create_normalizes_the_version_and_refuses_duplicates():
    product = ProductFactory()
    release = services.release_create(product=product, version="v1.2")
    assert release.version == "1.2.0" and (release.major, release.minor, release.patch) == (1, 2, 0)
    with pytest.raises(ApiError) as refused:
        services.release_create(product=product, version="1.2.0")
    assert refused.value.code == "VERSION_EXISTS"
    with pytest.raises(ApiError) as refused:
        services.release_create(product=product, version="banana")
    assert refused.value.code == "INVALID_VERSION"


def test_artifact_hashes_are_computed_by_the_server():
    release = ReleaseFactory()
    content = b"installer bytes" * 10_000
    artifact = services.artifact_create(
        release=release, file=ContentFile(content), platform="windows-x86_64", filename="a.exe"
    )
    assert artifact.size == len(content)
    assert artifact.sha256 == hashlib.sha256(content).hexdigest()
    assert artifact.sha512 == hashlib.sha512(content).hexdigest()
    with default_storage.open(artifact.file.name, "rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("declared", "code"),
    [({"declared_size": 3}, "SIZE_MISMATCH"), ({"declared_sha256": "0" * 64}, "CHECKSUM_MISMATCH")],
)
def test_a_lying_upload_leaves_nothing_behind(declared, code, local_storage):
    release = ReleaseFactory()
    with pytest.raises(ApiError) as refused:
        services.artifact_create(
            release=release, file=ContentFile(b"12345"), filename="a", **declared
        )
    assert refused.value.code == code
    assert not Artifact.objects.exists()
    assert _stored_files(f"artifacts/{release.product.slug}/{release.version}") == []


def test_a_failed_row_removes_its_stored_file(monkeypatch):
    release = ReleaseFactory()
    saved = []
    original_save = default_storage.save

    def spy(name, content, **kwargs):
        saved.append(original_save(name, content, **kwargs))
        return saved[-1]

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(default_storage, "save", spy)
    monkeypatch.setattr("releases.services.releases.events.publish", explode)
    with pytest.raises(RuntimeError):
        services.artifact_create(release=release, file=ContentFile(b"abc"), filename="a")
    assert saved and not default_storage.exists(saved[0])
    assert not Artifact.objects.exists()


def test_artifact_rules():
    release = ReleaseFactory()
    services.artifact_create(release=release, file=ContentFile(b"a"), filename="a")
    with pytest.raises(ApiError) as refused:
        services.artifact_create(release=release, file=ContentFile(b"b"), filename="b")
    assert refused.value.code == "ARTIFACT_EXISTS"
    with pytest.raises(ApiError) as refused:
        services.artifact_create(release=release, file=ContentFile(b""), platform="linux-x86_64")
    assert refused.value.code == "EMPTY_FILE"
    with pytest.raises(ApiError) as refused:
        services.artifact_create(release=release, file=ContentFile(b"c"), platform="beos")
    assert refused.value.code == "UNKNOWN_PLATFORM"


def test_publish_and_yank():
    empty = ReleaseFactory()
    with pytest.raises(ApiError) as refused:
        services.release_publish(release=empty)
    assert refused.value.code == "NO_ARTIFACT"
    release = published_release(product=ProductFactory(), version="1.0.0")
    assert release.status == Release.Status.PUBLISHED and release.published_at
    with pytest.raises(ApiError) as refused:
        services.artifact_create(release=release, file=ContentFile(b"x"), platform="linux-x86_64")
    assert refused.value.code == "RELEASE_NOT_DRAFT"
    services.release_yank(release=release)
    assert Release.objects.get(pk=release.pk).status == Release.Status.YANKED
    with pytest.raises(ApiError):
        services.release_yank(release=ReleaseFactory())


def test_artifact_delete_removes_row_and_file(django_capture_on_commit_callbacks):
    release = ReleaseFactory()
    artifact = services.artifact_create(release=release, file=ContentFile(b"a"), filename="a")
    name = artifact.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.artifact_delete(artifact=artifact)
    assert not Artifact.objects.exists() and not default_storage.exists(name)


@pytest.mark.parametrize("storage", ["local_storage", "s3_storage"])
def test_a_large_upload_is_hashed_and_stored_without_holding_it_in_memory(request, storage):
    """Django spools uploads over 2.5 MB to a temporary file; the service then reads and
    stores it a chunk at a time (S3: a few multipart parts in flight). The peak does not
    grow with the file (~41 MiB on S3 for 48 MiB and 192 MiB alike): 128 MiB pass under 48."""
    import tracemalloc

    from django.core.files.uploadedfile import TemporaryUploadedFile

    request.getfixturevalue(storage)
    size = 128 * 1024 * 1024
    upload = TemporaryUploadedFile("big.bin", "application/octet-stream", size, None)
    block = bytes(range(256)) * 4096
    for _ in range(size // len(block)):
        upload.write(block)
    upload.seek(0)
    release = ReleaseFactory()
    tracemalloc.start()
    try:
        artifact = services.artifact_create(release=release, file=upload, filename="big.bin")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        upload.close()
    assert artifact.size == size
    assert peak < 48 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


def test_an_upload_that_outlasts_a_publish_is_refused_and_cleaned_up(local_storage):
    stale = ReleaseFactory()  # the upload read the release while it was a draft…
    services.artifact_create(release=Release.objects.get(pk=stale.pk), file=ContentFile(b"a"))
    services.release_publish(release=Release.objects.get(pk=stale.pk))  # …then it was published
    with pytest.raises(ApiError) as refused:
        services.artifact_create(release=stale, file=ContentFile(b"late"), platform="linux-x86_64")
    assert refused.value.code == "RELEASE_NOT_DRAFT"
    assert Artifact.objects.filter(release=stale).count() == 1
    prefix = f"artifacts/{stale.product.slug}/{stale.version}"
    assert len(_stored_files(prefix)) == 1
