"""What /metrics reads from the database at scrape time: a few aggregates on indexed
columns, whatever the fleet (never a row per device)."""

from django.db.models import Count

from licensing.models import Product
from releases.models import Rollout
from releases.services.rollouts import failure_stats
from webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_backlog() -> dict[str, int]:
    """Deliveries waiting (pending) and given up (failed), endpoints disabled: two counts on
    the (status, …) index and the endpoints table."""
    D = WebhookDelivery.Status
    counts = dict(
        WebhookDelivery.objects.filter(status__in=[D.PENDING, D.FAILED])
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return {
        "pending": counts.get(D.PENDING, 0),
        "failed": counts.get(D.FAILED, 0),
        "disabled_endpoints": WebhookEndpoint.objects.filter(is_active=False).count(),
    }


def rollouts_running() -> list[dict]:
    """Each running rollout with its product, version, percent and failure rate (percent of
    finished update sessions that failed, 0 before any finished): one aggregate each."""
    rows = Rollout.objects.filter(status=Rollout.Status.RUNNING).values_list(
        "pk", "percent", "release_id", "release__version", "release__product__slug"
    )
    found = []
    for pk, percent, release_id, version, product in rows:
        finished, failed = failure_stats(release_id)
        found.append(
            {
                "id": str(pk),
                "product": product,
                "version": version,
                "percent": percent,
                "failure_rate": 100.0 * failed / finished if finished else 0.0,
                "finished": finished,
            }
        )
    return found


def product_slugs(ids) -> dict[str, str]:
    """{str(product id): slug} for these ids."""
    return {
        str(pk): slug for pk, slug in Product.objects.filter(pk__in=ids).values_list("pk", "slug")
    }
