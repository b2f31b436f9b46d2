from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self):
        from core.api.authentication import node_authenticator_register
        from core.credentials import credentials_watch
        from licensing.models import License, Tenant

        from .api.authentication import node_authenticate
        from .models import Device

        # Every node route authenticates through this one function; what it keeps per
        # process is dropped whenever a row it read changes.
        node_authenticator_register(node_authenticate)
        credentials_watch(Device, License, Tenant)
