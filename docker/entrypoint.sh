#!/bin/sh
# Container entrypoint. The first argument picks the role; any further arguments go to it.
#   web     apply migrations, then serve with gunicorn (docker/gunicorn.conf.py)
#   worker  Celery worker
#   beat    Celery beat (the schedule is code, config/celery.py; its state file is in /tmp)
#   other   run as given, e.g. `python manage.py createsuperuser`
set -eu

case "${1:-}" in
    web)
        shift
        python manage.py migrate --noinput
        exec gunicorn --config docker/gunicorn.conf.py config.asgi:application "$@"
        ;;
    worker)
        shift
        exec celery -A config worker --loglevel=INFO "$@"
        ;;
    beat)
        shift
        exec celery -A config beat --loglevel=INFO --schedule=/tmp/celerybeat-schedule "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
