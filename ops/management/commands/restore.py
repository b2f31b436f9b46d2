"""`manage.py restore FOLDER`: a backup made by `manage.py backup` into an empty database
and storage, with the same RELAIS_KEY_PEPPER (ops.backups). Then start web: it migrates."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup into an empty database and storage (see docs/operations/backups.md)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="A folder written by `manage.py backup`.")

    def handle(self, *args, folder: Path, **options):
        try:
            result = backup_restore(folder)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for warning in result["warnings"]:
            self.stderr.write(f"Warning: {warning}")
        self.stdout.write(
            f"Restored the database and {result['uploaded']} stored files "
            f"({result['skipped']} already there) from {folder}."
        )
