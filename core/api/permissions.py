from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Django model permissions: reads need `view`, and state-changing actions on one row
    (POST to `…/<id>/suspend/`, `…/publish/`, …) need `change`, not `add`."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def get_required_permissions(self, method, model_cls):
        if method == "POST" and getattr(self, "_detail_action", False):
            method = "PATCH"
        return super().get_required_permissions(method, model_cls)

    def has_permission(self, request, view):
        self._detail_action = bool(getattr(view, "detail", False))
        return super().has_permission(request, view)
