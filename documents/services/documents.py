"""Writes of synced documents (seed 004): every write is merged (documents/merge.py), locked
against concurrent writers, checked against the writer's `If-Match`, kept as a revision and
published as `document.updated`; a write that changes nothing does nothing.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApiError
from core.services import events

from .. import merge
from ..models import SyncDocument, SyncDocumentRevision, document_name_validator

ANY = "*"  # If-Match: * — the document must exist, whatever its version
_UNSET = object()
MAX_PRESERVE_FIELDS = 100


@dataclass(frozen=True)
class DocumentWrite:
    document: SyncDocument
    changed: bool
    created: bool = False


class StaleDocument(ApiError):
    """412: the writer's `If-Match` names a version that is no longer the document's.
    `document` is the current one (None when there is none), for the answer to show."""

    def __init__(self, document: SyncDocument | None):
        version = document.version if document else 0
        super().__init__(
            "PRECONDITION_FAILED",
            _("The document has changed since you read it: it is at version %(version)d.")
            % {"version": version},
            412,
            currentVersion=version,
        )
        self.document = document


def validate_name(name: str) -> None:
    try:
        document_name_validator(name)
    except Exception as exc:
        raise ApiError(
            "INVALID_DOCUMENT_NAME",
            _("A document name has 1 to 64 lowercase letters, digits, '-' or '_'."),
        ) from exc


def _clean_preserve_fields(fields) -> list[str]:
    if not isinstance(fields, list) or len(fields) > MAX_PRESERVE_FIELDS:
        raise ApiError("INVALID_PRESERVE_FIELDS", _("preserve_fields is a list of field names."))
    if not all(isinstance(f, str) and 0 < len(f) <= 200 for f in fields):
        raise ApiError("INVALID_PRESERVE_FIELDS", _("preserve_fields is a list of field names."))
    return list(dict.fromkeys(fields))  # order kept, duplicates dropped


def _matches(if_match, version: int) -> bool:
    """`if_match`: None (no condition), ANY, or the versions the writer read (0 = none)."""
    if if_match is None:
        return True
    if if_match == ANY:
        return version > 0
    return version in if_match


def document_write(
    *,
    tenant,
    name: str,
    data,
    actor=None,
    if_match=None,
    preserve_fields=None,
    restored_from: SyncDocumentRevision | None = None,
    add_preserve_fields=None,
    only_if_changed: bool = True,
    notify: bool = True,
) -> DocumentWrite:
    """Write `data` to the tenant's document `name` (created on its first write), merged
    with what is stored. `if_match` is None, ANY or a list of versions (0: "must not exist
    yet"); a stale one raises StaleDocument (412). `preserve_fields`, when given, replaces
    the document's list first; `add_preserve_fields` (the seed client's per-call
    `preserveFields`) is added to it, never removing one.

    `only_if_changed=False` writes a new version even when nothing changed (the seed's
    `onlyUpdateIfChanged: false`: frontends are told again); `notify=False` (its
    `notifyFrontend: false`) marks the event so browsers are not pushed it."""
    validate_name(name)
    if tenant is None:
        raise ApiError("TENANT_REQUIRED", _("Name the tenant whose document this is."))
    if preserve_fields is not None:
        preserve_fields = _clean_preserve_fields(preserve_fields)
    if add_preserve_fields is not None:
        add_preserve_fields = _clean_preserve_fields(add_preserve_fields)
    options = {"only_if_changed": only_if_changed, "notify": notify}
    with transaction.atomic():
        document = SyncDocument.objects.select_for_update().filter(tenant=tenant, name=name).first()
        if not _matches(if_match, document.version if document else 0):
            raise StaleDocument(document)
        if document is None:
            data = merge.empty(name) if data is _UNSET else data
            if add_preserve_fields:
                base = preserve_fields
                if base is None:
                    base = merge.default_preserve_fields(name)
                preserve_fields = _with_added(base, add_preserve_fields)
            created = _create(tenant, name, data, actor, preserve_fields, restored_from, options)
            if created is not None:
                return created
            # A concurrent writer created it first: write over theirs, as any update would.
            return document_write(
                tenant=tenant,
                name=name,
                data=data,
                actor=actor,
                if_match=if_match,
                preserve_fields=preserve_fields,
                restored_from=restored_from,
                only_if_changed=only_if_changed,
                notify=notify,
            )
        if add_preserve_fields:
            base = preserve_fields if preserve_fields is not None else document.preserve_fields
            preserve_fields = _with_added(base, add_preserve_fields)
        return _update(document, data, actor, preserve_fields, restored_from, options)


def _with_added(fields: list[str], added: list[str]) -> list[str]:
    """`fields` then the new names of `added`: a call's preserved fields join the
    document's list for good (a later write without them still keeps those values)."""
    combined = list(dict.fromkeys([*fields, *added]))
    if len(combined) > MAX_PRESERVE_FIELDS:
        raise ApiError("INVALID_PRESERVE_FIELDS", _("preserve_fields is a list of field names."))
    return combined


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) and actor.pk else None


def _create(
    tenant, name, data, actor, preserve_fields, restored_from, options
) -> DocumentWrite | None:
    merge.validate(name, data)
    fields = preserve_fields if preserve_fields is not None else merge.default_preserve_fields(name)
    merged = merge.merge(merge.empty(name), data, fields)
    merge.check_size(merged)
    try:
        with transaction.atomic():
            document = SyncDocument.objects.create(
                tenant=tenant,
                name=name,
                data=merged,
                preserve_fields=fields,
                version=1,
                updated_by=_user(actor),
            )
    except IntegrityError:
        return None
    _record(document, merge.empty(name), 0, actor, restored_from, False, options["notify"])
    return DocumentWrite(document=document, changed=True, created=True)


def _update(document, data, actor, preserve_fields, restored_from, options) -> DocumentWrite:
    if data is _UNSET:
        data = document.data
    merge.validate(document.name, data, stored=document.data)
    fields = preserve_fields if preserve_fields is not None else document.preserve_fields
    merged = merge.merge(document.data, data, fields)
    merge.check_size(merged)
    data_changed = merge.canonical(merged) != merge.canonical(document.data)
    fields_changed = fields != document.preserve_fields
    if not (data_changed or fields_changed or not options["only_if_changed"]):
        return DocumentWrite(document=document, changed=False)
    before, previous = document.data, document.version
    document.data, document.preserve_fields = merged, fields
    document.version = previous + 1
    document.updated_by = _user(actor)
    document.updated_at = timezone.now()
    document.save(update_fields=["data", "preserve_fields", "version", "updated_by", "updated_at"])
    _record(document, before, previous, actor, restored_from, fields_changed, options["notify"])
    return DocumentWrite(document=document, changed=True)


def _record(document, before, previous: int, actor, restored_from, fields_changed, notify):
    """The revision and the event of a write that changed something."""
    same = merge.canonical(before) == merge.canonical(document.data)
    changed = [] if same else merge.changed_keys(before, document.data)
    revision = SyncDocumentRevision.objects.create(
        document=document,
        version=document.version,
        data=document.data,
        patch=merge.diff(before, document.data),
        changed=changed,
        restored_from=restored_from,
        actor=_user(actor),
        actor_label=events.actor_label(actor),
    )
    payload = {
        "documentId": document.pk,
        "name": document.name,
        "version": document.version,
        "previousVersion": previous,
        "changed": changed,
        "revisionId": revision.pk,
    }
    if fields_changed:
        payload["preserveFields"] = document.preserve_fields
    if restored_from is not None:
        payload["restoredFromVersion"] = restored_from.version
    if not notify:
        payload["notifyFrontend"] = False
    events.publish("document.updated", tenant=document.tenant, payload=payload, actor=actor)
    return revision


def document_create(*, tenant, name: str, data=None, preserve_fields=None, actor=None):
    """A new document (the management API and the admin); 409 when the name is taken."""
    data = merge.empty(name) if data is None else data
    try:
        return document_write(
            tenant=tenant,
            name=name,
            data=data,
            actor=actor,
            if_match=[0],
            preserve_fields=preserve_fields,
        ).document
    except StaleDocument as exc:
        message = _("The tenant already has a document named %(name)s.") % {"name": name}
        raise ApiError("DOCUMENT_EXISTS", message, 409) from exc


def document_update(
    *, document: SyncDocument, actor=None, data=_UNSET, preserve_fields=None, if_match=None
) -> SyncDocument:
    """Change a document's data (merged) and/or its preserved fields."""
    return document_write(
        tenant=document.tenant,
        name=document.name,
        data=data,
        actor=actor,
        if_match=if_match,
        preserve_fields=preserve_fields,
    ).document


def document_restore(*, revision: SyncDocumentRevision, actor=None) -> SyncDocument:
    """Write a revision's document back: a write like any other (merged, so preserved
    fields keep their current values; a revision and an event; nothing if it is current)."""
    document = revision.document
    return document_write(
        tenant=document.tenant,
        name=document.name,
        data=revision.data,
        actor=actor,
        restored_from=revision,
    ).document


def document_revisions_prune(*, now=None, batch: int = 1000) -> int:
    """Delete the revisions that are both older than RELAIS_DOCUMENT_REVISION_RETENTION_DAYS
    and beyond the newest RELAIS_DOCUMENT_REVISIONS_KEPT of their document (a document's
    revisions are its versions 1, 2, ...: the newest N are those within N of its version).
    `batch` rows per transaction; 0 days keeps every revision, and the current one is
    always kept. Returns how many went."""
    days = settings.RELAIS_DOCUMENT_REVISION_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    kept = max(1, settings.RELAIS_DOCUMENT_REVISIONS_KEPT)  # the current one always stays
    old = SyncDocumentRevision.objects.filter(
        created_at__lt=cutoff, version__lte=F("document__version") - kept
    ).order_by()
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():  # revisions restored from these keep theirs (unlinked)
            # Only the keys are loaded (the delete collects rows for restored_from's SET
            # NULL), not each revision's snapshot and patch.
            rows = SyncDocumentRevision.objects.filter(pk__in=ids).only("pk")
            deleted += rows.delete()[0]
        if len(ids) < batch:
            break
    return deleted
