"""Staff writes of telemetry: acknowledge and resolve alerts, alert rules. (Writes of nodes
are in ingest.py, of beat in alerts.py, maintenance.py and expiry.py.)"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import events
from core.services.changes import model_update

from .. import rules
from ..models import Alert, AlertRule
from .alerts import alert_close, alert_event

RULE_EDITABLE = {"warning", "critical", "margin", "is_enabled"}


def _label(actor) -> str:
    return events.actor_label(actor)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor=None) -> Alert:
    """Someone is on it: recorded once, the alert stays open until resolved."""
    if alert.acknowledged_at is not None:
        return alert
    if not alert.is_open:
        raise ApiError("ALERT_RESOLVED", _("This alert is already resolved."), 409)
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = _label(actor)
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    alert_event("alert.acknowledged", alert, actor=actor, acknowledgedBy=alert.acknowledged_by)
    return alert


def alert_resolve(*, alert: Alert, actor=None) -> Alert:
    """Resolved by hand (a metric alert opens again if the value is still over its
    threshold at the next report; an offline one when the device is silent again)."""
    if alert.is_open:
        alert_close(alert=alert, reason="manual", now=timezone.now(), actor=actor)
    return alert


def _rule_payload(rule: AlertRule) -> dict:
    return {
        "ruleId": rule.pk,
        "metric": rule.metric,
        "productId": rule.product_id,
        "warning": rule.warning,
        "critical": rule.critical,
        "margin": rule.margin,
        "enabled": rule.is_enabled,
    }


def _changed_rules() -> None:
    transaction.on_commit(rules.forget)


@transaction.atomic
def alert_rule_create(*, actor=None, **fields) -> AlertRule:
    rule = AlertRule(**fields)
    rule.full_clean()
    rule.save()
    events.publish(
        "alert_rule.created", tenant=rule.tenant, payload=_rule_payload(rule), actor=actor
    )
    _changed_rules()
    return rule


@transaction.atomic
def alert_rule_update(*, alertrule: AlertRule, actor=None, **changes) -> AlertRule:
    _, changed = model_update(alertrule, editable=RULE_EDITABLE, changes=changes)
    if changed:
        payload = _rule_payload(alertrule) | {"changed": changed}
        events.publish("alert_rule.updated", tenant=alertrule.tenant, payload=payload, actor=actor)
        _changed_rules()
    return alertrule


@transaction.atomic
def alert_rule_delete(*, alertrule: AlertRule, actor=None) -> None:
    payload = _rule_payload(alertrule)
    tenant = alertrule.tenant
    alertrule.delete()
    events.publish("alert_rule.deleted", tenant=tenant, payload=payload, actor=actor)
    _changed_rules()
