"""The merge of synced documents, without a database."""

import jsonpatch
import pytest

from core.exceptions import ApiError
from documents import merge as merging
from documents.merge import changed_keys, diff, merge, validate

SERVICES = ["createdAt", "views", "rating"]


def test_an_object_keeps_its_preserved_fields():
    stored = {"companyName": "TRU", "createdAt": "2024-01-01", "updatedBy": "alice"}
    incoming = {"companyName": "TRU Group", "createdAt": "2099-01-01", "email": "c@tru.com"}
    assert merge(stored, incoming, ["createdAt", "updatedBy"]) == {
        "companyName": "TRU Group",
        "email": "c@tru.com",
        "createdAt": "2024-01-01",  # the stored value, not the writer's
        "updatedBy": "alice",  # kept although the writer left it out
    }


def test_fields_not_preserved_are_replaced_or_dropped():
    stored = {"phone": "1", "fax": "2", "createdAt": "x"}
    assert merge(stored, {"phone": "3"}, ["createdAt"]) == {"phone": "3", "createdAt": "x"}


def test_a_preserved_field_never_stored_takes_the_writers_value():
    assert merge({}, {"createdAt": "2026"}, ["createdAt"]) == {"createdAt": "2026"}


def test_list_items_are_matched_by_id_and_keep_their_preserved_fields():
    stored = [
        {"id": 1, "name": "Alice", "joinDate": "2020", "createdAt": "a"},
        {"id": 2, "name": "Bob", "joinDate": "2021", "createdAt": "b"},
    ]
    incoming = [
        {"id": 2, "name": "Robert", "joinDate": "1999"},
        {"id": 1, "name": "Alice", "role": "Manager"},
    ]
    assert merge(stored, incoming, ["createdAt", "joinDate"]) == [
        {"id": 2, "name": "Robert", "joinDate": "2021", "createdAt": "b"},
        {"id": 1, "name": "Alice", "role": "Manager", "joinDate": "2020", "createdAt": "a"},
    ]


def test_new_items_get_the_next_integer_id_when_ids_are_integers():
    stored = [{"id": 1, "name": "Alice"}, {"id": 7, "name": "Bob"}]
    merged = merge(stored, [*stored, {"name": "Carol"}, {"name": "Dan"}], [])
    assert [item["id"] for item in merged] == [1, 7, 8, 9]


def test_new_items_get_a_uuid_otherwise():
    merged = merge([], [{"name": "Nouveau service"}, {"id": "web", "name": "Web"}], SERVICES)
    assert len(merged[0]["id"]) == 36 and merged[1]["id"] == "web"
    merged_again = merge([], [{"name": "A"}], SERVICES)
    assert merged_again[0]["id"] != merged[0]["id"]


def test_items_left_out_are_removed_and_unknown_ids_are_new_items():
    stored = [{"id": "a", "views": 10}, {"id": "b", "views": 3}]
    merged = merge(stored, [{"id": "b", "views": 0}, {"id": "c", "views": 5}], SERVICES)
    assert merged == [{"id": "b", "views": 3}, {"id": "c", "views": 5}]


def test_the_seeds_services_example_keeps_views_and_ratings():
    existing = [{"id": "s1", "name": "Audit", "views": 120, "rating": 4.5, "createdAt": "2024"}]
    sent = [{"id": "s1", "name": "Audit", "views": 0}, {"name": "Nouveau service"}]
    merged = merge(existing, sent, SERVICES)
    assert merged[0] == existing[0]
    assert merged[1]["name"] == "Nouveau service" and "id" in merged[1]


def test_canonical_tells_true_from_one():
    assert merging.canonical({"a": True}) != merging.canonical({"a": 1})
    assert merging.canonical({"a": 1, "b": 2}) == merging.canonical({"b": 2, "a": 1})


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("custom", "a string", "NOT_AN_OBJECT"),
        ("custom", 42, "NOT_AN_OBJECT"),
        ("custom", None, "NOT_AN_OBJECT"),
        ("custom", [1, 2], "NOT_AN_OBJECT"),
        ("settings", [], "DOCUMENT_SHAPE"),
        ("team", {"id": 1}, "DOCUMENT_SHAPE"),
        ("team", [{"id": 1}, {"id": 1}], "DUPLICATE_ID"),
    ],
)
def test_what_cannot_be_stored_is_refused(name, value, code):
    with pytest.raises(ApiError) as caught:
        validate(name, value)
    assert caught.value.code == code and caught.value.status_code == 400


def test_a_documents_shape_is_fixed_by_what_is_stored():
    with pytest.raises(ApiError) as caught:
        validate("custom", [], stored={"a": 1})
    assert caught.value.code == "DOCUMENT_SHAPE"


def test_size_limit(settings):
    settings.RELAIS_DOCUMENT_MAX_BYTES = 20
    validate("custom", {"a": "x" * 10})
    with pytest.raises(ApiError) as caught:
        validate("custom", {"a": "x" * 20})
    assert caught.value.code == "DOCUMENT_TOO_LARGE" and caught.value.status_code == 413


def test_diff_and_changed_keys():
    before = {"a": 1, "b": 2, "createdAt": "x"}
    after = {"a": 1, "b": 3, "c": 4, "createdAt": "x"}
    patch = sorted(diff(before, after), key=lambda op: op["path"])
    assert patch == [
        {"op": "replace", "path": "/b", "value": 3},
        {"op": "add", "path": "/c", "value": 4},
    ]
    assert jsonpatch.apply_patch(before, diff(before, after)) == after
    assert changed_keys(before, after) == ["b", "c"]
    team_before = [{"id": 1, "n": "A"}, {"id": 2, "n": "B"}]
    team_after = [{"id": 2, "n": "B"}, {"id": 3, "n": "C"}]
    assert changed_keys(team_before, team_after) == ["1", "3"]
    assert changed_keys(team_before, list(reversed(team_before))) == ["(order)"]
