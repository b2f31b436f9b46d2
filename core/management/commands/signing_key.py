"""Signing keys for operators: make a new one, or print the current public key for a
rotation (the `<x>@<notAfter>` line RELAIS_SIGNING_PREVIOUS_KEYS takes)."""

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError

from core.signatures import SigningKeyError, b64, b64url, iso, key_id, keyring, public_raw


class Command(BaseCommand):
    help = "Generate an Ed25519 signing key, or show the current one's public part."

    def add_arguments(self, parser):
        parser.add_argument(
            "--generate",
            action="store_true",
            help="Print a new private key (base64 of the raw 32 bytes) for RELAIS_SIGNING_KEY.",
        )
        parser.add_argument(
            "--overlap-days",
            type=int,
            default=60,
            help="notAfter of the printed previous-key line, in days from now (default 60).",
        )

    def handle(self, *args, generate, overlap_days, **options):
        if generate:
            key = Ed25519PrivateKey.generate()
            raw = key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            self.stdout.write(f"RELAIS_SIGNING_KEY={b64(raw)}")
            self.stderr.write(f"kid {key_id(public_raw(key))}: keep the key secret, back it up.")
            return
        try:
            ring = keyring()
        except SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        if ring is None:
            raise CommandError("Signing is off (RELAIS_SIGNING=false).")
        not_after = iso(datetime.now(UTC) + timedelta(days=overlap_days))
        self.stdout.write(f"kid {ring.current.kid}")
        self.stdout.write(
            "After the switch to a new key, publish this one during the overlap with\n"
            f"RELAIS_SIGNING_PREVIOUS_KEYS={b64url(ring.current.raw)}@{not_after}"
        )
