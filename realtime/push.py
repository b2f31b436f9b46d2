"""Emitting to connected agents from anywhere (a request, a Celery task, the admin): through
Redis when REDIS_URL is set, so the process holding the socket does it; else straight to
this process's server, when it runs one. Never raises: a socket that cannot be reached
gets its commands when it (re)connects or sends its next heartbeat."""

import asyncio
import functools
import logging

from django.conf import settings

from .state import state

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=2)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


@functools.lru_cache(maxsize=2)
def _external_manager(url: str):
    import socketio

    from .server import CHANNEL

    return socketio.RedisManager(url, channel=CHANNEL, write_only=True)


def _on_local_loop(coroutine_function, *args) -> bool:
    loop = state.loop
    if loop is None or state.sio is None or loop.is_closed():
        return False
    asyncio.run_coroutine_threadsafe(coroutine_function(*args), loop)
    return True


def commands_nudge(site_id: str) -> None:
    """Tell whichever process holds `site_id`'s socket to push its queued commands."""
    try:
        if settings.REDIS_URL:
            from .server import COMMANDS_CHANNEL

            _redis(settings.REDIS_URL).publish(COMMANDS_CHANNEL, str(site_id))
            return
        from .neopro import push_pending

        _on_local_loop(push_pending, str(site_id))
    except Exception:  # noqa: BLE001 - the command waits in the database
        logger.warning("Command push for site %s not sent", site_id, exc_info=True)


def emit_to_room(event: str, data: dict, room: str) -> bool:
    """Emit `event` to `room` wherever its sockets are (never to everyone: no room, no emit)."""
    if not room:
        logger.error("Socket.IO emit of %s without a room refused", event)
        return False
    try:
        if settings.REDIS_URL:
            _external_manager(settings.REDIS_URL).emit(event, data, room=room, namespace="/")
            return True
        return _on_local_loop(_emit, event, data, room)
    except Exception:  # noqa: BLE001 - a push is best effort; the client also polls
        logger.warning("Socket.IO emit of %s to %s failed", event, room, exc_info=True)
        return False


async def _emit(event, data, room):
    await state.sio.emit(event, data, room=room)


def close_room(room: str) -> bool:
    """Take every socket out of `room`, wherever it is (a revoked key's pages hear no more)."""
    try:
        if settings.REDIS_URL:
            _external_manager(settings.REDIS_URL).close_room(room, namespace="/")
            return True
        return _on_local_loop(_close, room)
    except Exception:  # noqa: BLE001 - logged; the key is refused on every read already
        logger.warning("Socket.IO close of %s failed", room, exc_info=True)
        return False


async def _close(room):
    await state.sio.close_room(room)
