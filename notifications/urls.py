from django.urls import path

from .views import unsubscribe

urlpatterns = [
    path("notifications/unsubscribe/<str:token>", unsubscribe, name="notifications-unsubscribe"),
]
