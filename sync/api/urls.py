from rest_framework.routers import SimpleRouter

from .manage import EventViewSet, WebhookDeliveryViewSet, WebhookEndpointViewSet

manage_router = SimpleRouter()
manage_router.register("events", EventViewSet)
manage_router.register("webhook-endpoints", WebhookEndpointViewSet)
manage_router.register("webhook-deliveries", WebhookDeliveryViewSet)
