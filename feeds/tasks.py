from celery import shared_task

from feeds.services import static_feeds_write
from licensing.models import Product
from releases.catalogue import catalogue_refresh


@shared_task
def static_feeds_task(product_id: str) -> int:
    """Rewrite an `open` product's static feeds after a release or rollout change. The
    change's own catalogue invalidation may not have run yet (after-commit callbacks run
    in order, and this one can be first, or in another process): refreshed here, so the
    files are made from the rows just committed."""
    pk = Product._meta.pk.to_python(product_id)  # the catalogue is keyed by the pk itself
    catalogue_refresh(pk)
    return static_feeds_write(product_id=pk)
