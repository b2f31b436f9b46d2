"""Static feeds follow every release and rollout change (core.services.events)."""

from django.db import transaction

from licensing.models import Product


def on_release_event(event) -> None:
    """A release published, yanked or changed, a rollout started, staged, paused, resumed,
    halted or completed: the product's static feeds are rewritten after commit (a task;
    only `open` products have them)."""
    if not event.type.startswith(("release.", "rollout.")):
        return
    slug = (event.payload or {}).get("product")
    product_id = (
        Product.objects.filter(slug=slug, distribution=Product.Distribution.OPEN)
        .values_list("pk", flat=True)
        .first()
    )
    if product_id is None:
        return
    from feeds.tasks import static_feeds_task

    transaction.on_commit(lambda: static_feeds_task.delay(str(product_id)))
