"""The merge of synced documents (seed 004), as pure functions over JSON values.

A document is a JSON object, or a list of objects matched by their `id`. A write replaces
the stored value, except that the document's preserved fields keep their stored values:
at the top of an object, and in every list item already stored (matched by `id`). New list
items without an `id` get one. Nothing here touches the database.
"""

import json
import uuid

import jsonpatch
from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import ApiError

# The seed's four documents, their shape and what each keeps across writes.
SEED_DOCUMENTS = {
    "settings": {"shape": "object", "preserve_fields": ["createdAt", "updatedBy"]},
    "team": {"shape": "list", "preserve_fields": ["createdAt", "joinDate"]},
    "services": {"shape": "list", "preserve_fields": ["createdAt", "views", "rating"]},
    "solutions": {"shape": "list", "preserve_fields": ["createdAt", "views", "category"]},
}
OBJECT, LIST = "object", "list"


def default_preserve_fields(name: str) -> list[str]:
    return list(SEED_DOCUMENTS.get(name, {}).get("preserve_fields", []))


def shape_of(value) -> str:
    return LIST if isinstance(value, list) else OBJECT


def empty(name: str):
    """What a document that was never written reads as."""
    return [] if SEED_DOCUMENTS.get(name, {}).get("shape") == LIST else {}


def canonical(value) -> str:
    """One spelling per JSON value: equal strings mean equal documents. Unlike `==`, it
    tells `true` from `1` and `1` from `1.0`."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def size_of(value) -> int:
    return len(canonical(value).encode())


def validate(name: str, value, *, stored=None) -> None:
    """Refuse what cannot be stored: not an object or a list of objects, the wrong shape
    for the name (or for what is stored), duplicate ids, beyond RELAIS_DOCUMENT_MAX_BYTES."""
    if not isinstance(value, dict | list):
        raise ApiError("NOT_AN_OBJECT", _("A document is a JSON object or a list of objects."))
    expected = SEED_DOCUMENTS.get(name, {}).get("shape")
    if stored is not None:
        expected = shape_of(stored)
    if expected and shape_of(value) != expected:
        if expected == LIST:
            message = _("The document %(name)s is a JSON list of objects.")
        else:
            message = _("The document %(name)s is a JSON object.")
        raise ApiError("DOCUMENT_SHAPE", message % {"name": name})
    if isinstance(value, list):
        seen = set()
        for item in value:
            if not isinstance(item, dict):
                raise ApiError("NOT_AN_OBJECT", _("Every item of a list document is an object."))
            if "id" in item:
                key = canonical(item["id"])
                if key in seen:
                    message = _("Two items have the id %(id)s.") % {"id": key}
                    raise ApiError("DUPLICATE_ID", message)
                seen.add(key)
    check_size(value)


def check_size(value) -> None:
    if size_of(value) > settings.RELAIS_DOCUMENT_MAX_BYTES:
        raise too_large()


def too_large() -> ApiError:
    limit = settings.RELAIS_DOCUMENT_MAX_BYTES
    message = _("A document holds at most %(limit)d bytes of JSON.") % {"limit": limit}
    return ApiError("DOCUMENT_TOO_LARGE", message, 413)


def merge(stored, incoming, preserve_fields):
    """The value to store when `incoming` is written over `stored`."""
    if isinstance(incoming, list):
        return _merge_list(stored if isinstance(stored, list) else [], incoming, preserve_fields)
    return _merge_object(stored if isinstance(stored, dict) else {}, incoming, preserve_fields)


def _merge_object(stored: dict, incoming: dict, preserve_fields) -> dict:
    merged = dict(incoming)
    for field in preserve_fields:
        if field in stored:
            merged[field] = stored[field]
    return merged


def _merge_list(stored: list, incoming: list, preserve_fields) -> list:
    by_id = {canonical(item["id"]): item for item in stored if "id" in item}
    new_id = _id_maker(stored, incoming)
    merged = []
    for item in incoming:
        if "id" not in item:
            merged.append({"id": new_id(), **item})
            continue
        old = by_id.get(canonical(item["id"]))
        merged.append(_merge_object(old, item, preserve_fields) if old is not None else item)
    return merged


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id_maker(stored: list, incoming: list):
    """New ids follow the document's: the next integer when every id is one (the seed's team
    numbers its members), a UUID otherwise."""
    ids = [item["id"] for item in [*stored, *incoming] if "id" in item]
    if ids and all(_is_int(i) for i in ids):
        counter = iter(range(max(ids) + 1, 2**63))
        return lambda: next(counter)
    return lambda: str(uuid.uuid4())


def diff(before, after) -> list[dict]:
    """RFC 6902 operations turning `before` into `after` (python-json-patch)."""
    return jsonpatch.make_patch(before, after).patch


def changed_keys(before, after) -> list[str]:
    """What a change touched: top-level keys of an object, item ids of a list (added,
    removed or changed), as strings."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = set(before) | set(after)
        return sorted(
            k
            for k in keys
            if k not in before or k not in after or canonical(before[k]) != canonical(after[k])
        )
    if isinstance(before, list) and isinstance(after, list):
        old = {_label(i.get("id")): i for i in before if isinstance(i, dict)}
        new = {_label(i.get("id")): i for i in after if isinstance(i, dict)}
        touched = {
            k
            for k in old.keys() | new.keys()
            if k not in old or k not in new or canonical(old[k]) != canonical(new[k])
        }
        if not touched and canonical(before) != canonical(after):
            return ["(order)"]  # the same items, reordered
        return sorted(touched, key=lambda k: (len(k), k))
    return ["*"]


def _label(item_id) -> str:
    return item_id if isinstance(item_id, str) else canonical(item_id)
