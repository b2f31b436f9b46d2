"""Gunicorn settings for the container image, tuned from the environment."""

import os

bind = "0.0.0.0:8000"  # noqa: S104 - inside a container; the port is published by compose
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# ASGI workers: the Socket.IO server (long-lived WebSocket connections; with several
# workers, REDIS_URL lets any of them emit to a socket another one holds) and Django, in a
# pool of RELAIS_WSGI_THREADS threads per worker (config/asgi.py).
worker_class = "uvicorn_worker.UvicornWorker"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# The worker heartbeat file in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"  # noqa: S108
# Above Django's limits (RELAIS_MAX_REQUEST_LINE 4096, RELAIS_MAX_HEADER_FIELD_SIZE 8192,
# RELAIS_MAX_HEADER_FIELDS 100), so an oversized request reaches Django and gets a JSON 414 or
# 431; beyond these, gunicorn answers itself with a plain-text/HTML 400. 8190 is the largest
# request line gunicorn accepts short of "unlimited".
limit_request_line = 8190
limit_request_field_size = 16384
limit_request_fields = 200
accesslog = "-"
# The path without its query string: CyberSensei nodes send their license key as `?key=`.
# CyberSensei update ids in `/update/download/<id>` are download capabilities: masked.
logger_class = "core.logmask.MaskingGunicornLogger"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'

errorlog = "-"
