from rest_framework.routers import SimpleRouter

from .views import WebhookDeliveryViewSet, WebhookEndpointViewSet

manage_router = SimpleRouter()
manage_router.register("webhook-endpoints", WebhookEndpointViewSet)
manage_router.register("webhook-deliveries", WebhookDeliveryViewSet)
