"""Gunicorn settings of the `web` container: Django (config.wsgi) in gthread workers, behind
the nginx proxy (docker/nginx), tuned from the environment.

nginx buffers request and response bodies, so a slow client holds no thread here; the
Socket.IO server runs in its own process (`realtime`, uvicorn), not in these workers."""

import os

from config.serving import use_json_errors_in_gunicorn

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 - inside a container
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Idle keep-alive connections from the proxy (its upstream `keepalive`).
keepalive = 75
# The worker heartbeat file in memory, not on the container's overlay filesystem.
worker_tmp_dir = os.environ.get("GUNICORN_TMP_DIR", "/dev/shm")  # noqa: S108
# X-Forwarded-Proto is believed from exactly the proxies Django believes X-Forwarded-For from
# (RELAIS_TRUSTED_PROXIES, addresses or CIDR networks; empty: none). gunicorn's default
# would trust 127.0.0.1 and ::1 whatever the operator declared.
forwarded_allow_ips = os.environ.get("RELAIS_TRUSTED_PROXIES", "").replace(" ", "") or ""
# Above Django's limits (RELAIS_MAX_REQUEST_LINE 4096, RELAIS_MAX_HEADER_FIELD_SIZE 8192,
# RELAIS_MAX_HEADER_FIELDS 100) and the proxy's (8 KiB lines), so an oversized request
# reaches Django (or the proxy) and gets its JSON 414 or 431.
limit_request_line = 8190
limit_request_field_size = 16384
limit_request_fields = 200
accesslog = "-"
# The path without its query string: CyberSensei nodes send their license key as `?key=`.
# CyberSensei update ids in `/update/download/<id>` are download capabilities: masked.
logger_class = "core.logmask.MaskingGunicornLogger"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'
errorlog = "-"

# A request gunicorn's parser refuses (a raw byte over 0x7F in the request line, a control
# byte in a header, a malformed chunk) is answered by gunicorn itself, before Django: in JSON
# with a `code`, not gunicorn's HTML page (config/serving.py).
use_json_errors_in_gunicorn()


def child_exit(server, worker):
    """prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR): a worker that
    exited stops counting in the live gauges; its counters stay in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
