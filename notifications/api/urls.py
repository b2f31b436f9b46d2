from rest_framework.routers import SimpleRouter

from .manage import RecipientViewSet

manage_router = SimpleRouter()
manage_router.register("notification-recipients", RecipientViewSet)
