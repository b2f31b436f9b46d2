#!/bin/sh
# The image's build step (docker/Dockerfile), also run by the tests and CI on every change:
# static files into DJANGO_STATIC_ROOT under production settings (hashed names, a manifest),
# with throwaway secrets that exist for this step only. Collecting files signs nothing and
# reads no database: no signing key (RELAIS_SIGNING=false), SQLite in memory.
set -eu
cd "$(dirname "$0")/.."
DJANGO_SETTINGS_MODULE=config.settings.production \
DJANGO_SECRET_KEY=build-only-collectstatic-not-a-secret \
RELAIS_KEY_PEPPER=build-only-collectstatic-not-a-pepper \
RELAIS_SIGNING=false \
DATABASE_URL=sqlite://:memory: \
    "${PYTHON:-python}" manage.py collectstatic --noinput --verbosity 0
