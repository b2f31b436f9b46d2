"""For CI pipelines: create a release, upload its files, optionally publish it.

    manage.py publish_release itstock-crm 1.2.0 --channel stable --notes "…" \\
        --file dist/setup.exe:windows-x86_64 --file dist/app.zip --publish \\
        --rollout 10,50,100 --hold 60
"""

from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.exceptions import ApiError
from licensing.models import Product
from releases.builds import (
    BuildFile,
    BuildFolderError,
    electron_builder_folder,
    tauri_signature,
    velopack_folder,
)
from releases.models import Release
from releases.services.releases import artifact_create, release_create, release_publish
from releases.services.rollouts import rollout_start, stages_from_percents
from releases.versions import parse_version


class Command(BaseCommand):
    help = "Create a release with its artifacts (PATH[:PLATFORM]) and optionally publish it."

    def add_arguments(self, parser):
        parser.add_argument("product", help="Product slug.")
        parser.add_argument(
            "version", nargs="?", help="Read from the build folder when one is given."
        )
        parser.add_argument(
            "--electron-builder",
            type=Path,
            metavar="DIR",
            help="electron-builder's output folder: its latest*.yml name the files, version "
            "and sha512 (checked against the server's own).",
        )
        parser.add_argument(
            "--velopack",
            type=Path,
            metavar="DIR",
            help="`vpk pack`'s output folder: its releases.<channel>.json name the full "
            "packages, version and SHA256 (checked against the server's own).",
        )
        parser.add_argument("--channel", default="stable", choices=Release.Channel.values)
        parser.add_argument("--notes", default="")
        parser.add_argument("--notes-file", type=Path)
        parser.add_argument("--mandatory", action="store_true")
        parser.add_argument(
            "--stepping-stone",
            action="store_true",
            help="Devices on older versions must install this release before any newer one.",
        )
        parser.add_argument(
            "--file",
            dest="files",
            action="append",
            default=[],
            metavar="PATH[:PLATFORM]",
            help="An artifact; platform defaults to 'any'. Repeat for several.",
        )
        parser.add_argument("--publish", action="store_true")
        parser.add_argument(
            "--rollout",
            metavar="PERCENTS",
            help="Publish progressively: stage percents, e.g. 10,50,100 (implies --publish).",
        )
        parser.add_argument(
            "--hold", type=int, default=60, help="Minutes each rollout stage is held (60)."
        )
        parser.add_argument(
            "--forced", action="store_true", help="The rollout makes the update mandatory."
        )

    def handle(
        self, *args, product, version, channel, notes, notes_file, mandatory, files, publish, **opts
    ):
        product_obj = Product.objects.filter(slug=product).first()
        if product_obj is None:
            raise CommandError(f"No product {product!r}.")
        stages = None
        if opts.get("rollout"):
            publish = True
            try:
                stages = stages_from_percents(opts["rollout"], opts["hold"])
            except ApiError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from exc
        artifacts = [self._parse(spec) for spec in files]
        for folder, read in (
            (opts.get("electron_builder"), electron_builder_folder),
            (opts.get("velopack"), velopack_folder),
        ):
            if folder is None:
                continue
            try:
                built, found = read(folder)
            except (BuildFolderError, ValueError, OSError) as exc:
                raise CommandError(str(exc)) from exc
            if version and str(parse_version(version)) != str(parse_version(built)):
                raise CommandError(f"{folder} holds version {built}, not {version}.")
            version = built
            artifacts += found
        if not version:
            raise CommandError("Give the version, or a build folder to read it from.")
        if publish and not artifacts:
            raise CommandError("--publish needs at least one --file.")
        if notes_file:
            notes = notes_file.read_text(encoding="utf-8")
        stored = []
        try:
            # One transaction: a failing file leaves no half-made release behind, and the
            # files already stored for it are removed below.
            with transaction.atomic():
                release = release_create(
                    product=product_obj,
                    version=version,
                    channel=channel,
                    notes=notes,
                    is_mandatory=mandatory,
                    is_stepping_stone=opts.get("stepping_stone", False),
                )
                for built in artifacts:
                    with built.path.open("rb") as handle:
                        artifact = artifact_create(
                            release=release,
                            file=File(handle),
                            platform=built.platform,
                            filename=built.path.name,
                            declared_size=built.size,
                            declared_sha256=built.sha256,
                            signature=built.signature,
                        )
                    stored.append(artifact.file.name)
                    if built.sha512 and built.sha512 != artifact.sha512:
                        raise ApiError(
                            "CHECKSUM_MISMATCH",
                            f"{built.path.name}: the sha512 its build wrote does not match.",
                            400,
                        )
                    path = built.path
                    self.stdout.write(
                        f"  {artifact.platform}: {path.name} {artifact.size} B sha256 {artifact.sha256}"
                    )
                if publish:
                    release_publish(release=release)
                if stages:
                    rollout = rollout_start(
                        release=release, stages=stages, forced=opts.get("forced", False)
                    )
                    self.stdout.write(
                        f"  rollout {rollout.pk}: {rollout.percent} % now, stages "
                        + " → ".join(f"{s['percent']} %" for s in stages)
                    )
        except BaseException as exc:
            for name in stored:
                default_storage.delete(name)
            if isinstance(exc, ApiError):
                raise CommandError(f"{exc.code}: {exc.message}") from exc
            raise
        self.stdout.write(
            f"{release.product.slug} {release.version} {release.status} (id {release.pk})"
        )

    def _parse(self, spec: str) -> BuildFile:
        """PATH[:PLATFORM]; a Tauri `PATH.sig` beside it is the vendor signature."""
        path_text, _, platform = spec.partition(":")
        path = Path(path_text)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        return BuildFile(path=path, platform=platform or "any", signature=tauri_signature(path))
