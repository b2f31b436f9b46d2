"""`manage.py backup FOLDER`: the database dump, the storage's files and a manifest naming
the secrets kept elsewhere (ops.backups). Run it again into the same folder: files already
there are not fetched again."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backups import BackupError, backup_make


class Command(BaseCommand):
    help = "Back up the database and the storage into a folder (see docs/operations/backups.md)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="Where the backup goes (created if needed).")

    def handle(self, *args, folder: Path, **options):
        try:
            manifest = backup_make(folder)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        files = manifest["storage"]["files"]
        size = sum(meta["size"] for meta in files.values())
        self.stdout.write(
            f"Backed up the {manifest['database']['vendor']} database and {len(files)} "
            f"stored files ({size} bytes) into {folder}."
        )
        secrets = ", ".join(manifest["secrets_kept_elsewhere"])
        self.stderr.write(f"Not in the backup, keep them in your secret store: {secrets}.")
