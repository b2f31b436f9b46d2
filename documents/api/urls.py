from django.urls import path
from rest_framework.routers import SimpleRouter

from ..merge import SEED_DOCUMENTS
from .manage import (
    BrowserOriginViewSet,
    PublishableKeyViewSet,
    SyncDocumentRevisionViewSet,
    SyncDocumentViewSet,
)
from .views import AnyDocumentView, DocumentView, seed_view

# Under /api/v1/
node_urlpatterns = [
    path("sync/documents/<str:name>", DocumentView.as_view(), name="sync-document"),
]

# At the site root, as seed 004's frontend calls them.
dialect_urlpatterns = [
    path(f"api/{name}", seed_view(name), name=f"sync-seed-{name}") for name in SEED_DOCUMENTS
]

# Any other document at /api/<name> (seed 004's generic sync): last of all the site's
# routes, so that it never shadows another.
generic_urlpatterns = [
    path("api/<str:name>", AnyDocumentView.as_view(), name="sync-any-document"),
]

manage_router = SimpleRouter()
manage_router.register("sync-documents", SyncDocumentViewSet)
manage_router.register("sync-document-revisions", SyncDocumentRevisionViewSet)
manage_router.register("publishable-keys", PublishableKeyViewSet)
manage_router.register("browser-origins", BrowserOriginViewSet)
