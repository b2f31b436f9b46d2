from commands.models import DeviceCommand
from commands.services import command_create


def _command_of(tenant):
    from devices.tests.factories import DeviceFactory
    from licensing.tests.factories import LicenseFactory

    device = DeviceFactory(license=LicenseFactory(tenant=tenant))
    return command_create(device=device, type="reboot")


TENANT_FACTORIES = {DeviceCommand: _command_of}
