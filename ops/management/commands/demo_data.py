from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from ops.management.demo_basics import (
    DEMO_PASSWORD,
    demo_licensing,
    demo_neopro,
    demo_releases,
    demo_users,
)
from ops.management.demo_fleet import fleet_exists, fleet_simulate


class Command(BaseCommand):
    help = (
        "Create (or refresh) a demo tenant, product, policy, license and logins, and with "
        "--fleet N a simulated fleet of N devices (updates, a rollout, telemetry, alerts, "
        "commands, webhooks) for the dashboard."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fleet",
            type=int,
            default=0,
            help="Simulate a fleet of this many devices (once: skipped when one exists).",
        )

    def handle(self, *args, fleet=0, **options):
        if not settings.DEBUG:
            self.stderr.write("demo_data runs only with DEBUG on (the embedded default).")
            return
        with transaction.atomic():
            key, tenant = demo_licensing()
            demo_neopro(tenant)
            demo_users(tenant)
            demo_releases()
        lines = [
            "Demo data ready.",
            f"  License key : {key}",
            f"  Tenant id   : {tenant.pk}",
            f"  Admin login : admin / {DEMO_PASSWORD} (platform staff)",
            f"  Tenant staff: acme-it / {DEMO_PASSWORD} (sees Acme only)",
            "  Releases    : itstock-crm 1.1.0 (licensed), datashare 1.2.0 (open)",
            "  Dashboard   : http://127.0.0.1:8000/admin/ (force an update from a"
            " release's page: Releases → ITStock CRM 1.1.0 → Force the update)",
            f"  NEOPRO sites: register with it@acme.example / {DEMO_PASSWORD}",
        ]
        if fleet > 0 and fleet_exists():
            lines.append("  Fleet       : already simulated (kept as it is)")
        elif fleet > 0:
            made = fleet_simulate(
                size=fleet, staff_email="it@acme.example", staff_password=DEMO_PASSWORD
            )
            lines.append(
                f"  Fleet       : {made['devices']} devices on 3 tenants, 14 days of updates,"
                f" {made['rollout'].release} rolling out at 25 %, telemetry and alerts,"
                " a NEOPRO site with commands, webhook deliveries (one endpoint failing)"
            )
        self.stdout.write("\n".join(lines))
