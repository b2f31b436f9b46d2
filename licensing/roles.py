"""The tenant staff role: what a customer's IT admin may do in the backoffice and API."""

TENANT_STAFF_GROUP = "Tenant staff"
TENANT_STAFF_PERMISSIONS = [
    "licensing.view_tenant",
    "licensing.view_product",
    "licensing.view_policy",
    "licensing.view_license",
    "licensing.view_user",
    "devices.view_device",
    "devices.add_device",  # register a NEOPRO site on one of their licenses' seats
    "devices.change_device",
    "releases.view_release",
    "releases.view_artifact",
    "releases.view_updatesession",
    "releases.view_rollout",
    "core.view_event",
    "webhooks.view_webhookendpoint",
    "webhooks.add_webhookendpoint",
    "webhooks.change_webhookendpoint",
    "webhooks.view_webhookdelivery",
    "webhooks.change_webhookdelivery",
    # Synced documents (seed 004): their tenant's, read, written, restored.
    "documents.view_syncdocument",
    "documents.add_syncdocument",
    "documents.change_syncdocument",
    "documents.view_syncdocumentrevision",
    # Their public frontends (seed 004): publishable read keys and the origins they run on.
    "documents.view_publishablekey",
    "documents.add_publishablekey",
    "documents.change_publishablekey",
    "documents.view_browserorigin",
    "documents.add_browserorigin",
    "documents.delete_browserorigin",
    # Who of theirs is emailed, and what was told.
    "notifications.view_recipient",
    "notifications.add_recipient",
    "notifications.change_recipient",
    "notifications.view_notification",
    # Telemetry: their fleet's reports and alerts (acknowledge, resolve), their own rules.
    "telemetry.view_telemetryreport",
    "telemetry.view_alert",
    "telemetry.change_alert",
    "telemetry.view_alertrule",
    "telemetry.add_alertrule",
    "telemetry.change_alertrule",
    "telemetry.delete_alertrule",
    # Remote commands to their devices (NEOPRO sites).
    "commands.view_devicecommand",
    "commands.add_devicecommand",
    "commands.change_devicecommand",
    # Their NEOPRO media library and what each site holds.
    "commands.view_mediavideo",
    "commands.add_mediavideo",
    "commands.change_mediavideo",
    "commands.delete_mediavideo",
    "commands.view_sitevideo",
]
