import pytest

from licensing.models import Product
from licensing.tests.factories import ProductFactory


@pytest.fixture
def open_product(db):
    return ProductFactory(slug="viewer", distribution=Product.Distribution.OPEN)


@pytest.fixture
def changed(django_capture_on_commit_callbacks):
    """`changed(service, **kwargs)`: a write whose after-commit work (the catalogue's
    invalidation) runs, as it does outside a test's transaction."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run
