"""The commands' section of the device page (registered in CommandsConfig.ready): the
device's latest commands and their results."""

from django.template.loader import render_to_string

from .models import DeviceCommand


def device_commands_html(request, device) -> str:
    commands = list(DeviceCommand.objects.filter(device=device).order_by("-created_at")[:20])
    context = {"device": device, "commands": commands}
    return render_to_string("commands/device_section.html", context, request=request)
