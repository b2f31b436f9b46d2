from django.urls import path

from .views import ElectronFeedView, SparkleFeedView, TauriFeedView, VelopackFeedView

feed_urlpatterns = [
    path(
        "feeds/<str:product>/<str:channel>/tauri/<str:target>/<str:arch>/<str:current_version>",
        TauriFeedView.as_view(),
        name="feed-tauri",
    ),
    path(
        "feeds/<str:product>/<str:channel>/releases.<str:vchannel>.json",
        VelopackFeedView.as_view(),
        name="feed-velopack",
    ),
    path(
        "feeds/<str:product>/<str:channel>/appcast.xml",
        SparkleFeedView.as_view(),
        name="feed-sparkle",
    ),
    path(
        "feeds/<str:product>/<str:channel>/<str:filename>",
        ElectronFeedView.as_view(),
        name="feed-electron",
    ),
]
