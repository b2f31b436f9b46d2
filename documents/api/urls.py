from django.urls import path
from rest_framework.routers import SimpleRouter

from ..merge import SEED_DOCUMENTS
from .manage import SyncDocumentRevisionViewSet, SyncDocumentViewSet
from .views import DocumentView, seed_view

# Under /api/v1/
node_urlpatterns = [
    path("sync/documents/<str:name>", DocumentView.as_view(), name="sync-document"),
]

# At the site root, as seed 004's frontend calls them.
dialect_urlpatterns = [
    path(f"api/{name}", seed_view(name), name=f"sync-seed-{name}") for name in SEED_DOCUMENTS
]

manage_router = SimpleRouter()
manage_router.register("sync-documents", SyncDocumentViewSet)
manage_router.register("sync-document-revisions", SyncDocumentRevisionViewSet)
