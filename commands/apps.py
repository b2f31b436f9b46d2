from django.apps import AppConfig


class CommandsConfig(AppConfig):
    """Remote commands for devices (NEOPRO sites); lists them in heartbeat answers."""

    name = "commands"
    verbose_name = "Remote commands"

    def ready(self):
        from telemetry.hooks import heartbeat_commands_register

        from .services import commands_pending

        heartbeat_commands_register(commands_pending)

        from core.admin_site import page_section_register

        from .device_page import device_commands_html

        page_section_register("devices.Device", "commands", device_commands_html, order=30)
