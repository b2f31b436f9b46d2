"""Static feeds (issue 23, item 6): an `open` product's feeds written to storage on every
release and rollout change, equal to what the dynamic routes answer an anonymous updater."""

import json
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from feeds.services import static_feeds, static_feeds_write
from licensing.models import Product
from licensing.tests.factories import ProductFactory
from releases.services.releases import artifact_create, release_publish, release_yank
from releases.services.rollouts import rollout_advance, rollout_halt, rollout_start
from releases.tests.factories import ReleaseFactory, published_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(local_storage, settings):
    settings.RELAIS_PUBLIC_URL = "http://testserver"  # what the test client's requests name
    return ProductFactory(slug="viewer", name="Viewer", distribution=Product.Distribution.OPEN)


def _stored(name):
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def assert_static_is_dynamic(client, product):
    """Every static file is what its dynamic route answers an anonymous updater now."""
    names = list(static_feeds(product))
    assert len(names) == 3 * (5 + 3 + 1)  # channels × (electron, Velopack, Sparkle)
    for name in names:
        stored = _stored(name)
        dynamic = client.get("/" + name)
        if stored is None:  # nothing to offer: no file, and the route says so
            assert dynamic.status_code == 404 and dynamic.json()["code"] == "FEED_NOT_FOUND"
            continue
        assert dynamic.status_code == 200, name
        if name.endswith(".json"):
            assert json.loads(stored) == dynamic.json(), name
        else:
            assert stored == dynamic.content, name


def test_static_feeds_follow_publish_stages_halt_and_yank(client, viewer, changed):
    published_release(product=viewer, version="1.0.0", platforms=["windows-x86_64"])
    draft = ReleaseFactory(product=viewer, version="1.1.0")
    for platform in ("windows-x86_64", "macos-x86_64", "linux-x86_64"):
        artifact_create(
            release=draft, file=ContentFile(b"new" * 10), platform=platform, filename="app.zip"
        )

    changed(release_publish, release=draft)
    assert b"version: 1.1.0" in _stored("feeds/viewer/stable/latest.yml")
    assert_static_is_dynamic(client, viewer)

    third = published_release(product=viewer, version="1.2.0", platforms=["windows-x86_64"])
    rollout = changed(rollout_start, release=third, stages=[{"percent": 10}, {"percent": 100}])
    assert b"stagingPercentage: 10" in _stored("feeds/viewer/stable/latest.yml")
    assert_static_is_dynamic(client, viewer)

    changed(rollout_advance, rollout=rollout)
    assert b"version: 1.2.0" in _stored("feeds/viewer/beta/latest.yml")
    assert_static_is_dynamic(client, viewer)

    changed(release_yank, release=third)
    assert b"version: 1.1.0" in _stored("feeds/viewer/stable/latest.yml")
    assert_static_is_dynamic(client, viewer)


def test_a_halt_takes_the_release_out_of_the_static_feeds(client, viewer, changed):
    published_release(product=viewer, version="1.0.0")
    release = published_release(product=viewer, version="1.1.0")
    rollout = changed(rollout_start, release=release, stages=[{"percent": 50}])
    assert b"stagingPercentage: 50" in _stored("feeds/viewer/stable/latest.yml")

    changed(rollout_halt, rollout=rollout)

    assert b"version: 1.0.0" in _stored("feeds/viewer/stable/latest.yml")
    assert_static_is_dynamic(client, viewer)


def test_a_licensed_product_has_no_static_feed(local_storage, changed):
    product = ProductFactory(slug="crm")
    release = published_release(product=product, version="1.0.0")
    changed(release_yank, release=release)
    assert static_feeds_write(product_id=product.pk) == 0
    assert not default_storage.exists("feeds/crm/stable/latest.yml")


def test_an_unchanged_feed_is_not_rewritten(viewer, changed):
    published_release(product=viewer, version="1.0.0")
    assert static_feeds_write(product_id=viewer.pk) > 0
    assert static_feeds_write(product_id=viewer.pk) == 0


def test_static_feeds_on_s3_equal_the_dynamic_routes(client, s3_storage, settings, changed):
    """The same, written to S3 (moto_server over HTTP, or the configured endpoint)."""
    settings.RELAIS_PUBLIC_URL = "http://testserver"
    slug = f"viewer-{uuid.uuid4().hex[:8]}"  # the bucket outlives the test
    product = ProductFactory(slug=slug, name="Viewer", distribution=Product.Distribution.OPEN)
    published_release(product=product, version="1.0.0")
    release = published_release(product=product, version="1.1.0")

    rollout = changed(rollout_start, release=release, stages=[{"percent": 20}])

    assert b"stagingPercentage: 20" in _stored(f"feeds/{slug}/stable/latest.yml")
    assert_static_is_dynamic(client, product)
    changed(rollout_halt, rollout=rollout)
    assert b"version: 1.0.0" in _stored(f"feeds/{slug}/alpha/latest-mac.yml")
    assert_static_is_dynamic(client, product)
