"""Tables that moved app when `sync/` became one app per domain (core's Event; webhooks,
documents, commands), adopted by each new app's first migration.

The models' state is created by `CreateModel` in a state-only operation; the database is
then handled by `adopt()`, which looks at what is there:

- a database made by an earlier Relais has the `sync_<model>` tables, full of rows: each is
  renamed to the new app's table (`ALTER TABLE … RENAME`: rows, keys and foreign keys stay),
  its named indexes renamed with it, and its content type moved to the new app label, so
  that permissions given to users and groups, and the admin's history, keep their rows;
- a new database has none: the tables are created as `CreateModel` would.

Backwards, the tables, indexes and content types get their `sync` names back (the schema
of the releases before the move). The `sync` rows of `django_migrations` stay: Django ignores
rows of an app that is not installed.
"""

from django.db import migrations
from django.db.models import Index

OLD_APP = "sync"


def adopt(app_label: str, models: dict[str, dict[tuple[str, ...], str]]) -> migrations.RunPython:
    """The operation adopting `models` of `app_label`: `{model name: {index fields: old
    index name}}` (the indexes a table had under `sync`, by the fields they cover)."""

    def forwards(apps, schema_editor):
        tables = set(schema_editor.connection.introspection.table_names())
        for name, old_indexes in models.items():
            model = apps.get_model(app_label, name)
            old_table = f"{OLD_APP}_{model._meta.model_name}"
            if old_table not in tables:
                schema_editor.create_model(model)
                continue
            schema_editor.alter_db_table(model, old_table, model._meta.db_table)
            for index in model._meta.indexes:
                old = Index(fields=index.fields, name=old_indexes[tuple(index.fields)])
                schema_editor.rename_index(model, old, index)
        _move_content_types(apps, schema_editor, OLD_APP, app_label)

    def backwards(apps, schema_editor):
        for name, old_indexes in models.items():
            model = apps.get_model(app_label, name)
            for index in model._meta.indexes:
                old = Index(fields=index.fields, name=old_indexes[tuple(index.fields)])
                schema_editor.rename_index(model, index, old)
            old_table = f"{OLD_APP}_{model._meta.model_name}"
            schema_editor.alter_db_table(model, model._meta.db_table, old_table)
        _move_content_types(apps, schema_editor, app_label, OLD_APP)

    def _move_content_types(apps, schema_editor, source: str, target: str):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        for name in models:
            model_name = name.lower()
            if ContentType.objects.using(db).filter(app_label=target, model=model_name).exists():
                continue  # already there (made by a migrate that ran before this one)
            ContentType.objects.using(db).filter(app_label=source, model=model_name).update(
                app_label=target
            )

    return migrations.RunPython(forwards, backwards)
