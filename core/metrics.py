"""The Prometheus counters that apps move on their own paths (exposed by ops at /metrics).

Declared here, the lowest app, so that releases and telemetry can count without importing
the app that serves them. Labels are bounded: a route's name (never its path), a method, a
status, a product's slug, an outcome; never a device. An increment is a lock and an add (a
memory-mapped file under PROMETHEUS_MULTIPROC_DIR): no query, no I/O."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "relais_http_requests",
    "HTTP requests answered, per route name, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "relais_http_request_duration_seconds",
    "Time to answer an HTTP request, per route name.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
UPDATE_CHECKS = Counter(
    "relais_update_checks",
    "Update checks per product and outcome: offered, not_offered, held, refused.",
    # The product's id here; /metrics names it by its slug (ops.metrics): one query per
    # scrape instead of one per check.
    ["product_id", "outcome"],
)
TELEMETRY_ROWS = Counter("relais_telemetry_rows_ingested", "Telemetry report rows inserted.")

# Socket.IO: open sockets per server process, summed over the live ones (livesum: a dead
# process's sockets are gone with it), and connects, whose rate shows a reconnect storm.
SOCKETIO_CONNECTIONS = Gauge(
    "relais_socketio_connections",
    "Socket.IO connections open.",
    multiprocess_mode="livesum",
)
SOCKETIO_CONNECTS = Counter("relais_socketio_connects", "Socket.IO connections accepted.")

# Celery, counted by the workers (ops.worker): a task's registered name (bounded: the code's
# tasks) and its outcome: succeeded, failed, retried.
CELERY_TASKS = Counter(
    "relais_celery_tasks",
    "Celery tasks run by the workers, per task and outcome.",
    ["task", "outcome"],
)
CELERY_TASK_DURATION = Histogram(
    "relais_celery_task_duration_seconds",
    "Time a worker spent running a task, per task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 360.0),
)
