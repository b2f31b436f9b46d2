"""The backoffice's rollout controls: the rollout list with its actions, and the release
page's "Force the update" form (all devices, a tenant's fleet or selected devices,
immediate or progressive). Everything goes through releases.services.rollouts."""

from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action

from core.admin_actions import apply_each
from core.admin_forms import ThemedForm
from core.exceptions import ApiError
from core.tenancy import scope_for_user, user_tenant_id
from core.tenancy_admin import TenantScopedAdmin
from devices.models import Device
from licensing.models import Tenant

from .models import Release, Rollout, UpdateSession
from .services import rollouts


def _dialog(title):
    return {"title": title, "description": _("The rollout's devices follow at once.")}


def _found_first(unfold_action):
    """An unknown or foreign rollout is a 404 before the confirmation dialog, too."""

    @wraps(unfold_action)
    def view(model_admin, request, *args, object_id, **kwargs):
        if model_admin.get_object(request, object_id) is None:
            raise Http404
        return unfold_action(model_admin, request, *args, object_id=object_id, **kwargs)

    return view


@admin.register(Rollout)
class RolloutAdmin(TenantScopedAdmin):
    """Started from a release's page; advanced by the beat; steered by these actions."""

    nav_group, nav_icon, nav_order = "releases", "rocket_launch", 20

    list_display = ["release", "status", "percent", "stage", "forced", "start_at", "ended_at"]
    list_filter = ["status", "forced", "release__product"]
    list_select_related = ["release", "release__product"]
    search_fields = ["release__version", "release__product__name"]
    actions = ["pause", "resume", "advance", "halt"]
    # The same services, one rollout at a time: a row's menu and buttons on its page, each
    # confirmed in a dialog and sent as a POST.
    actions_row = actions_detail = ["advance_one", "pause_one", "resume_one", "halt_one"]
    change_form_before_template = "admin/releases/rollout/progress.html"
    readonly_fields = [
        *("release", "stages", "stage", "percent", "status", "max_failure_rate", "min_sample"),
        *(
            "forced",
            "overrides_windows",
            "targets",
            "start_at",
            "stage_started_at",
            "ended_at",
            "halt_reason",
        ),
        "created_at",
    ]
    fields = readonly_fields

    @admin.display(description=_("Targets"))
    def targets(self, rollout):
        if not rollout.target_tenant_ids and not rollout.target_device_ids:
            return _("All devices")
        return _("%(devices)d selected device(s); tenants: %(tenants)s") % {
            "devices": len(rollout.target_device_ids),
            "tenants": len(rollout.target_tenant_ids),
        }

    def get_fields(self, request, obj=None):
        # Platform staff see the ids; tenant staff only counts (a tenant id opens the
        # CyberSensei dialect: they never see another tenant's).
        if user_tenant_id(request.user) is None:
            return [*self.fields, "target_tenant_ids", "target_device_ids"]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return False  # "Force the update" / "Roll out" on the release's page

    def has_delete_permission(self, request, obj=None):
        return False

    def _each(self, request, queryset, service, done):
        apply_each(request, queryset, service, arg="rollout", done=done)

    @admin.action(description=_("Pause selected rollouts"), permissions=["change"])
    def pause(self, request, queryset):
        self._each(request, queryset, rollouts.rollout_pause, _("%(count)d rollout(s) paused."))

    @admin.action(description=_("Resume selected rollouts"), permissions=["change"])
    def resume(self, request, queryset):
        self._each(request, queryset, rollouts.rollout_resume, _("%(count)d rollout(s) resumed."))

    @admin.action(description=_("Advance selected rollouts now"), permissions=["change"])
    def advance(self, request, queryset):
        self._each(request, queryset, rollouts.rollout_advance, _("%(count)d rollout(s) advanced."))

    @admin.action(description=_("Halt selected rollouts"), permissions=["change"])
    def halt(self, request, queryset):
        self._each(request, queryset, rollouts.rollout_halt, _("%(count)d rollout(s) halted."))

    def has_rollout_control_permission(self, request, object_id=None):
        return self.has_change_permission(request)

    def _one(self, request, object_id, service, done):
        """Apply `service` to one rollout (the write scope: a tenant's staff reach only
        their tenant's), then go back to the page the button was on."""
        rollout = self.get_object(request, object_id)
        if rollout is None:
            raise Http404
        if not self.has_change_permission(request, rollout):
            raise PermissionDenied
        try:
            service(rollout=rollout, actor=request.user)
        except ApiError as exc:
            messages.error(request, f"{exc.code}: {exc.message}")
        else:
            messages.success(request, done % {"rollout": rollout})
        back = request.headers.get("HX-Current-URL", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
            back = reverse("admin:releases_rollout_change", args=[rollout.pk])
        if request.headers.get("HX-Request"):
            return HttpResponse(headers={"HX-Redirect": back})
        return redirect(back)

    @_found_first
    @action(
        description=_("Start / advance now"),
        icon="fast_forward",
        permissions=["rollout_control"],
        dialog=_dialog(_("Start or advance this rollout now?")),
    )
    def advance_one(self, request, form, object_id):
        return self._one(request, object_id, rollouts.rollout_advance, _("%(rollout)s advanced."))

    @_found_first
    @action(
        description=_("Pause"),
        icon="pause",
        permissions=["rollout_control"],
        dialog=_dialog(_("Pause this rollout?")),
    )
    def pause_one(self, request, form, object_id):
        return self._one(request, object_id, rollouts.rollout_pause, _("%(rollout)s paused."))

    @_found_first
    @action(
        description=_("Resume"),
        icon="play_arrow",
        permissions=["rollout_control"],
        dialog=_dialog(_("Resume this rollout?")),
    )
    def resume_one(self, request, form, object_id):
        return self._one(request, object_id, rollouts.rollout_resume, _("%(rollout)s resumed."))

    @_found_first
    @action(
        description=_("Halt"),
        icon="block",
        permissions=["rollout_control"],
        dialog=_dialog(_("Halt this rollout? It cannot be resumed.")),
    )
    def halt_one(self, request, form, object_id):
        return self._one(request, object_id, rollouts.rollout_halt, _("%(rollout)s halted."))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rollout = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if rollout is not None:
            context["progress"] = rollout_progress(rollout)
        return super().change_view(request, object_id, form_url, context)


def rollout_progress(rollout: Rollout) -> dict:
    """What the rollout's page shows above its fields: its stages (reached or not), its
    sessions by status and its failure rate against the threshold (one aggregate on the
    sessions' (release, status) index)."""
    by_status = dict(
        UpdateSession.objects.filter(release_id=rollout.release_id)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    finished = sum(by_status.get(s, 0) for s in rollouts.FINISHED)
    failed = sum(by_status.get(s, 0) for s in rollouts.FAILURES)
    rate = 100.0 * failed / finished if finished else 0.0
    stages = [
        {
            "index": index + 1,
            "percent": stage.get("percent"),
            "hold_minutes": stage.get("holdMinutes", 0),
            "reached": index < rollout.stage
            or (index == rollout.stage and rollout.status != Rollout.Status.SCHEDULED),
            "current": index == rollout.stage and rollout.status in Rollout.ACTIVE,
        }
        for index, stage in enumerate(rollout.stages or [])
    ]
    return {
        "stages": stages,
        "by_status": [
            (UpdateSession.Status(status).label, n) for status, n in sorted(by_status.items())
        ],
        "sessions": sum(by_status.values()),
        "finished": finished,
        "failed": failed,
        "rate": rate,
        "threshold": rollout.max_failure_rate,
        "min_sample": rollout.min_sample,
        "over": finished >= rollout.min_sample and rate > rollout.max_failure_rate,
    }


class ForceUpdateForm(ThemedForm):
    AUDIENCES = [
        ("all", _("All devices")),
        ("tenant", _("A tenant's devices")),
        ("devices", _("Selected devices")),
    ]
    audience = forms.ChoiceField(
        label=_("Devices"), choices=AUDIENCES, initial="all", widget=forms.RadioSelect
    )
    tenant = forms.ModelChoiceField(
        label=_("Tenant"), queryset=Tenant.objects.none(), required=False
    )
    devices = forms.CharField(
        label=_("Selected devices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Hardware ids or device ids, one per line."),
    )
    progressive = forms.BooleanField(label=_("Progressive"), required=False)
    percents = forms.CharField(label=_("Stages (%)"), initial="10,50,100", required=False)
    hold_minutes = forms.IntegerField(label=_("Hold per stage (minutes)"), initial=60, min_value=0)
    forced = forms.BooleanField(
        label=_("Mandatory"),
        initial=True,
        required=False,
        help_text=_("Devices get the update as mandatory."),
    )
    overrides_windows = forms.BooleanField(
        label=_("Outside maintenance windows too"),
        initial=True,
        required=False,
        help_text=_(
            "Mandatory updates are offered and pushed at once; untick to hold them to each "
            "device's maintenance window."
        ),
    )
    max_failure_rate = forms.FloatField(
        label=_("Halt over failure rate (%)"), initial=10, min_value=0, max_value=100
    )
    min_sample = forms.IntegerField(label=_("Minimum sample"), initial=20, min_value=1)

    def __init__(self, *args, user, release, **kwargs):
        super().__init__(*args, **kwargs)
        tenants = scope_for_user(Tenant.objects.filter(is_active=True), user)
        if release.tenant_id:
            tenants = tenants.filter(pk=release.tenant_id)
        self.fields["tenant"].queryset = tenants
        self.user, self.release = user, release

    def clean(self):
        data = super().clean()
        audience = data.get("audience")
        if audience == "tenant" and not data.get("tenant"):
            self.add_error("tenant", _("Choose the tenant."))
        if audience == "devices":
            refs = [r.strip() for r in (data.get("devices") or "").split() if r.strip()]
            if not refs:
                self.add_error("devices", _("List at least one device."))
            data["device_ids"] = self._resolve(refs)
        return data

    def _resolve(self, refs: list[str]) -> list[str]:
        """Hardware ids or device ids → device ids, among the devices of the release's
        product the user may see; anything else is reported by name."""
        devices = scope_for_user(Device.objects.all(), self.user).filter(
            product_id=self.release.product_id
        )
        by_hw = dict(devices.filter(hardware_id__in=refs).values_list("hardware_id", "pk"))
        ids = [str(by_hw[r]) for r in refs if r in by_hw]
        rest = [r for r in refs if r not in by_hw]
        known = set()
        if rest:
            uuids = [r for r in rest if _is_uuid(r)]
            known = {str(pk) for pk in devices.filter(pk__in=uuids).values_list("pk", flat=True)}
        unknown = [r for r in rest if r not in known]
        if unknown:
            self.add_error(
                "devices",
                _("Unknown devices (not yours or not of %(product)s): %(refs)s")
                % {"product": self.release.product, "refs": ", ".join(unknown[:10])},
            )
        return sorted(set(ids) | known)

    def start(self):
        data = self.cleaned_data
        stages = None
        if data["progressive"]:
            stages = rollouts.stages_from_percents(data["percents"], data["hold_minutes"])
        return rollouts.rollout_start(
            actor=self.user,
            release=self.release,
            stages=stages,
            forced=data["forced"],
            overrides_windows=data["overrides_windows"],
            max_failure_rate=data["max_failure_rate"],
            min_sample=data["min_sample"],
            target_tenants=[data["tenant"]] if data["audience"] == "tenant" else [],
            target_devices=data.get("device_ids", []) if data["audience"] == "devices" else [],
        )


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def force_update_view(model_admin, request, object_id):
    """GET: the form; POST: start the rollout, or show why not (nothing is written)."""
    writable = model_admin.get_queryset(request)  # POST: the release must be writable
    release = get_object_or_404(writable, pk=object_id)
    if not model_admin.has_change_permission(request, release):
        raise PermissionDenied
    form = ForceUpdateForm(request.POST or None, user=request.user, release=release)
    if request.method == "POST" and form.is_valid():
        try:
            rollout = form.start()
        except ApiError as exc:
            form.add_error(None, f"{exc.code}: {exc.message}")
        else:
            messages.success(
                request,
                _("Update to %(release)s started: %(percent)s %% of the devices now.")
                % {"release": release, "percent": rollout.percent},
            )
            return redirect(reverse("admin:index"))
    if request.method == "POST" and form.errors:
        messages.error(request, _("The update was not started: see the errors below."))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Force the update to %(release)s") % {"release": release},
        "opts": model_admin.model._meta,
        "original": release,
        "form": form,
        "published": release.status == Release.Status.PUBLISHED,
    }
    return TemplateResponse(request, "admin/releases/release/force_update.html", context)
