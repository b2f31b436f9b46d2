#!/bin/sh
# Container entrypoint. The first argument picks the role; any further arguments go to it.
#   web       apply migrations, then serve Django with gunicorn (docker/gunicorn.conf.py)
#   realtime  the Socket.IO server (config.asgi) under uvicorn on port 8001
#   worker  Celery worker
#   beat    Celery beat (the schedule is code, config/celery.py; its state file is in /tmp)
#   other   run as given, e.g. `python manage.py createsuperuser`
set -eu

# prometheus-client's multiprocess mode: each process keeps its counters in files there,
# /metrics (web, realtime) or the worker's metrics port sums them. Each of these roles is a
# container of its own and starts from an empty directory (files of processes of a previous
# start would be summed too); the others only need it to exist.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    case "${1:-}" in
        web | realtime | worker) rm -rf "$PROMETHEUS_MULTIPROC_DIR" ;;
    esac
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

case "${1:-}" in
    web)
        shift
        python manage.py migrate --noinput
        exec gunicorn --config docker/gunicorn.conf.py config.wsgi:application "$@"
        ;;
    realtime)
        shift
        # Only /socket.io/ reaches it (the proxy sends the rest to `web`). X-Forwarded-For is
        # believed from the proxies of RELAIS_TRUSTED_PROXIES only, as Django and gunicorn do.
        exec uvicorn config.asgi:application \
            --host "${REALTIME_HOST:-0.0.0.0}" --port "${REALTIME_PORT:-8001}" \
            --proxy-headers --forwarded-allow-ips "${RELAIS_TRUSTED_PROXIES:-}" \
            --http config.serving:HttpToolsProtocol --no-server-header "$@"
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
