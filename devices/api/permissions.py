from rest_framework.permissions import BasePermission

from .authentication import NodePrincipal


class IsNode(BasePermission):
    """A node authenticated by device token or license key."""

    def has_permission(self, request, view):
        return isinstance(request.user, NodePrincipal)


class IsDevice(IsNode):
    """A node whose device is known (not a license key alone)."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.device is not None
