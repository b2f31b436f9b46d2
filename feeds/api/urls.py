from django.urls import path

from .views import ElectronFeedView, TauriFeedView

feed_urlpatterns = [
    path(
        "feeds/<str:product>/<str:channel>/tauri/<str:target>/<str:arch>/<str:current_version>",
        TauriFeedView.as_view(),
        name="feed-tauri",
    ),
    path(
        "feeds/<str:product>/<str:channel>/<str:filename>",
        ElectronFeedView.as_view(),
        name="feed-electron",
    ),
]
