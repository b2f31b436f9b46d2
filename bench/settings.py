"""Production settings plus the bench's floor views (bench/floor.py)."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.floor"
