"""Celery queue lengths, read from the broker at scrape time (ops.metrics).

One passive declare per queue on a connection that gives up after RELAIS_READY_TIMEOUT: a
broker down or slow makes the scrape say so (`relais_celery_broker_up 0`), never hang it."""

from kombu.exceptions import ChannelError

from config.celery import app


def queue_names() -> list[str]:
    """The queues workers consume: the default one and any declared (bounded by the code)."""
    names = {app.conf.task_default_queue or "celery"}
    names.update(app.amqp.queues.keys())
    return sorted(names)


def queue_lengths(*, timeout: float) -> dict[str, int] | None:
    """{queue: messages waiting}, or None when the broker did not answer in time."""
    options = {
        **(app.conf.broker_transport_options or {}),
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }
    found: dict[str, int] = {}
    try:
        with app.connection_for_read(transport_options=options) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
            channel = connection.default_channel
            for name in queue_names():
                try:
                    found[name] = channel.queue_declare(queue=name, passive=True).message_count
                except ChannelError:  # never declared, or emptied (Redis drops empty lists)
                    found[name] = 0
                    channel = connection.channel()
    except Exception:  # noqa: BLE001 - a scrape reports the broker down, it never raises
        return None
    return found
