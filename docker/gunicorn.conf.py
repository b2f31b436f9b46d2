"""Gunicorn settings for the container image, tuned from the environment."""

import os

bind = "0.0.0.0:8000"  # noqa: S104 - inside a container; the port is published by compose
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# The worker heartbeat file in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"  # noqa: S108
accesslog = "-"
# The path without its query string: CyberSensei nodes send their license key as `?key=`.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'

errorlog = "-"
