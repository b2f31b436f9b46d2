"""Every event type Relais publishes, with an example payload (the README's list is made
from this one; a test fails when a `publish()` names a type missing here).

Webhook endpoints filter on these: an exact type, `<prefix>.*`, or `*`.
"""

LICENSE = {"licenseId": "6f1c…", "keyPrefix": "AB12CD34", "status": "active"}
DEVICE = {"deviceId": "0b7e…", "hardwareId": "hw-1", "licenseId": "6f1c…"}
RELEASE = {
    "releaseId": "5d2a…",
    "product": "itstock-crm",
    "version": "1.2.0",
    "channel": "stable",
    "status": "published",
}
UPDATE = {
    "sessionId": "9c41…",
    "deviceId": "0b7e…",
    "releaseId": "5d2a…",
    "fromVersion": "1.1.0",
    "toVersion": "1.2.0",
    "error": "",
}
ROLLOUT = {
    "rolloutId": "e1f3…",
    "releaseId": "5d2a…",
    "product": "itstock-crm",
    "version": "1.2.0",
    "status": "running",
    "percent": 10,
    "stage": 0,
    "forced": False,
}

ALERT = {
    "alertId": 12,
    "deviceId": "0b7e…",
    "hardwareId": "hw-1",
    "metric": "temperature",
    "severity": "warning",
    "value": 76.0,
    "threshold": 75.0,
    "openedAt": "2026-11-25T10:00:00Z",
}
ALERT_RULE = {
    "ruleId": 4,
    "metric": "temperature",
    "productId": None,
    "warning": 60.0,
    "critical": 70.0,
    "margin": 2.0,
    "enabled": True,
}
RECIPIENT = {"recipientId": 3, "kinds": ["alerts", "licenses"], "isActive": True}
SITE = {"siteId": "0b7e…", "siteName": "Site Rennes", "licenseId": "6f1c…"}
COMMAND = {"commandId": "2f6a…", "deviceId": "0b7e…", "type": "reboot", "status": "queued"}

EVENT_TYPES: dict[str, dict] = {
    "tenant.created": {"tenantId": "3e9f…", "slug": "acme", "isActive": True},
    "tenant.updated": {"tenantId": "3e9f…", "slug": "acme", "isActive": True, "changed": ["name"]},
    "tenant.activated": {"tenantId": "3e9f…", "slug": "acme", "isActive": True},
    "tenant.deactivated": {"tenantId": "3e9f…", "slug": "acme", "isActive": False},
    "product.created": {"productId": 1, "slug": "itstock-crm", "isActive": True},
    "product.updated": {"productId": 1, "slug": "itstock-crm", "isActive": True, "changed": []},
    "product.activated": {"productId": 1, "slug": "itstock-crm", "isActive": True},
    "product.deactivated": {"productId": 1, "slug": "itstock-crm", "isActive": False},
    "policy.created": {"policyId": 1, "productId": 1, "name": "Pro", "isActive": True},
    "policy.updated": {"policyId": 1, "productId": 1, "name": "Pro", "changed": ["max_devices"]},
    "policy.activated": {"policyId": 1, "productId": 1, "name": "Pro", "isActive": True},
    "policy.deactivated": {"policyId": 1, "productId": 1, "name": "Pro", "isActive": False},
    "license.created": LICENSE,
    "license.updated": LICENSE | {"changed": ["max_devices"]},
    "license.suspended": LICENSE | {"status": "suspended"},
    "license.reinstated": LICENSE,
    "license.revoked": LICENSE | {"status": "revoked"},
    "license.renewed": LICENSE,
    "license.key_regenerated": LICENSE,
    "license.expiring": {
        "licenseId": "6f1c…",
        "keyPrefix": "AB12CD34",
        "productId": 3,
        "expiresAt": "2026-12-31T00:00:00Z",
        "daysLeft": 6,
        "threshold": 7,
    },
    "api_token.created": {"user": "ci-bot", "prefix": "rlt_a1b2c3"},
    "api_token.revoked": {"user": "ci-bot", "prefix": "rlt_a1b2c3"},
    "device.registered": DEVICE,
    "device.updated": DEVICE | {"changed": ["app_version"]},
    "device.deactivated": DEVICE | {"reason": "silent"},
    "device.token_rotated": DEVICE,
    "device.offline": {
        "deviceId": "0b7e…",
        "hardwareId": "hw-1",
        "lastSeenAt": "2026-11-25T10:00:00Z",
        "silentSeconds": 301,
    },
    "device.online": {
        "deviceId": "0b7e…",
        "hardwareId": "hw-1",
        "lastSeenAt": "2026-11-25T10:09:00Z",
        "offlineSince": "2026-11-25T10:05:01Z",
    },
    "site.registered": SITE,
    "site.key_rotated": SITE,
    "release.created": RELEASE | {"status": "draft"},
    "release.updated": RELEASE | {"changed": ["notes"]},
    "release.published": RELEASE,
    "release.yanked": RELEASE | {"status": "yanked"},
    "artifact.created": RELEASE | {"artifactId": "8a0d…", "platform": "windows-x86_64"},
    "artifact.deleted": RELEASE | {"artifactId": "8a0d…", "platform": "windows-x86_64"},
    "artifact.deltas_made": RELEASE
    | {"artifactId": "8a0d…", "platform": "windows-x86_64", "fromVersions": ["1.1.0", "1.0.0"]},
    "update.pending": UPDATE,
    "update.downloading": UPDATE,
    "update.downloaded": UPDATE,
    "update.installing": UPDATE,
    "update.completed": UPDATE,
    "update.failed": UPDATE | {"error": "Checksum mismatch"},
    "update.rolled_back": UPDATE,
    "update.forced": ROLLOUT | {"forced": True, "targetTenants": ["3e9f…"], "targetDevices": 0},
    "rollout.scheduled": ROLLOUT | {"status": "scheduled", "percent": 0},
    "rollout.started": ROLLOUT,
    "rollout.advanced": ROLLOUT | {"percent": 50, "stage": 1},
    "rollout.paused": ROLLOUT | {"status": "paused"},
    "rollout.resumed": ROLLOUT,
    "rollout.halted": ROLLOUT
    | {"status": "halted", "reason": "Failure rate 12.5 % (5 of 40) over 10.0 %."},
    "rollout.completed": ROLLOUT | {"status": "completed", "percent": 100, "stage": 2},
    "command.queued": COMMAND,
    "command.succeeded": COMMAND | {"status": "succeeded"},
    "command.failed": COMMAND | {"status": "failed", "error": "Service inconnu"},
    "command.expired": COMMAND | {"status": "expired"},
    "command.cancelled": COMMAND | {"status": "cancelled"},
    "media.video_created": {
        "videoId": "4c8e…",
        "title": "Entrainement passes",
        "category": "Technique",
        "size": 48213992,
        "sha256": "9f86d0…",
    },
    "alert.opened": ALERT,
    "alert.escalated": ALERT | {"severity": "critical", "value": 81.0, "threshold": 80.0},
    "alert.acknowledged": ALERT | {"acknowledgedBy": "ops"},
    "alert.resolved": ALERT | {"resolvedAt": "2026-11-25T10:20:00Z", "resolution": "recovered"},
    "alert_rule.created": ALERT_RULE,
    "alert_rule.updated": ALERT_RULE | {"changed": ["warning"]},
    "alert_rule.deleted": ALERT_RULE,
    "document.updated": {
        "documentId": "5b0f…",
        "name": "team",
        "version": 4,
        "previousVersion": 3,
        "changed": ["2", "3"],
        "revisionId": 57,
    },
    "publishable_key.created": {
        "keyId": "7c1e…",
        "prefix": "rlp_Q2x9aB1c",
        "documents": ["settings", "team"],
    },
    "publishable_key.updated": {
        "keyId": "7c1e…",
        "prefix": "rlp_Q2x9aB1c",
        "documents": ["settings", "team", "services"],
        "changed": ["documents"],
    },
    "publishable_key.revoked": {
        "keyId": "7c1e…",
        "prefix": "rlp_Q2x9aB1c",
        "documents": ["settings", "team"],
    },
    "browser_origin.created": {"originId": "e9a0…", "origin": "https://trugroup.vercel.app"},
    "browser_origin.deleted": {"originId": "e9a0…", "origin": "https://trugroup.vercel.app"},
    "endpoint.created": {"endpointId": "c4d2…", "url": "https://example.com/hooks"},
    "endpoint.updated": {"endpointId": "c4d2…", "url": "https://example.com/hooks"},
    "endpoint.secret_rotated": {"endpointId": "c4d2…", "url": "https://example.com/hooks"},
    "endpoint.redelivered": {
        "endpointId": "c4d2…",
        "url": "https://example.com/hooks",
        "deliveryId": "1a2b…",
        "eventId": "7e8f…",
    },
    "endpoint.enabled": {"endpointId": "c4d2…", "url": "https://example.com/hooks"},
    "endpoint.disabled": {
        "endpointId": "c4d2…",
        "url": "https://example.com/hooks",
        "reason": "No success for 5 days.",
    },
    "recipient.created": RECIPIENT,
    "recipient.updated": RECIPIENT | {"changed": ["kinds"]},
    "recipient.deleted": RECIPIENT,
    "recipient.unsubscribed": RECIPIENT,
    "webhook.test": {"endpointId": "c4d2…", "message": "Test event from Relais."},
}

PREFIXES = {name.split(".")[0] for name in EVENT_TYPES}


def unknown_patterns(patterns) -> list[str]:
    """The filter patterns that match no known event type."""
    bad = []
    for pattern in patterns:
        if pattern == "*" or pattern in EVENT_TYPES:
            continue
        if pattern.endswith(".*") and pattern[:-2] in PREFIXES:
            continue
        bad.append(pattern)
    return bad


def matches(patterns, event_type: str) -> bool:
    """Does an endpoint filtering on `patterns` (empty: everything) want `event_type`?"""
    if not patterns:
        return True
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
