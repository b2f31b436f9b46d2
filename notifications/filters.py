from core.tenancy import TenantScopedFilterSet

from .models import Recipient


class RecipientFilter(TenantScopedFilterSet):
    class Meta:
        model = Recipient
        fields = ["tenant", "is_active"]
