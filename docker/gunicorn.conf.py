"""Gunicorn settings for the container image, tuned from the environment."""

import os

bind = "0.0.0.0:8000"  # noqa: S104 - inside a container; the port is published by compose
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# The worker heartbeat file in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"  # noqa: S108
accesslog = "-"
errorlog = "-"
