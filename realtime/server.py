"""The Socket.IO server and its ASGI app, mounted beside Django's by config/asgi.py.

With REDIS_URL, an AsyncRedisManager carries rooms and emits across processes, and a
listener here hears "this site has queued commands" from any Django or Celery process;
without Redis, everything is in this process (`push` calls the loop directly)."""

import asyncio
import logging

import socketio
from django.conf import settings

from core.metrics import SOCKETIO_CONNECTIONS, SOCKETIO_CONNECTS

from . import browser, itstock, neopro
from .db import db
from .state import Connection, state

logger = logging.getLogger(__name__)
CHANNEL = "relais-socketio"
COMMANDS_CHANNEL = "relais-socketio-commands"


def _manager():
    if settings.REDIS_URL:
        return socketio.AsyncRedisManager(settings.REDIS_URL, channel=CHANNEL)
    return None  # python-socketio's in-process manager


async def _drop_if_anonymous(sid: str) -> None:
    await asyncio.sleep(settings.RELAIS_SOCKETIO_AUTH_TIMEOUT)
    conn = state.connections.get(sid)
    if conn is not None and not conn.identified:
        state.count("dropped.unauthenticated")
        await state.sio.disconnect(sid)


async def _listen_for_commands() -> None:
    """Redis pub/sub: a site id published after a command commits; the process holding
    that site's socket pushes its queued commands."""
    import redis.asyncio as aioredis

    while True:
        try:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(COMMANDS_CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    site_id = message["data"].decode()
                    if site_id in state.sites:  # its own task: a slow push holds no other
                        push = asyncio.get_running_loop().create_task(neopro.push_pending(site_id))
                        state.pushes.add(push)  # referenced until done, as asyncio requires
                        push.add_done_callback(state.pushes.discard)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("Socket.IO command listener lost Redis; retrying", exc_info=True)
            await asyncio.sleep(2)


def start() -> None:
    """Once per process, on the server's loop (lifespan startup, or the first connection)."""
    if state.loop is not None:
        return
    state.loop = asyncio.get_running_loop()
    if settings.REDIS_URL and state.listener is None:
        state.listener = state.loop.create_task(_listen_for_commands())


def build_server() -> socketio.AsyncServer:
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=_manager(),
        max_http_buffer_size=settings.RELAIS_SOCKETIO_MAX_MESSAGE_BYTES,
        # The environment's origins, the page's own host, and those tenants declare.
        cors_allowed_origins=browser.socket_origin_allowed,
        logger=False,
        engineio_logger=False,
    )

    @sio.event
    async def connect(sid, environ, auth=None):
        start()
        license_id, device_id = await db(itstock.connection_credentials, auth, environ)
        key_id = await db(browser.connection_key, auth, environ)
        conn = Connection(sid=sid, license_id=license_id, device_id=device_id)
        state.connections[sid] = conn
        if key_id is not None:  # a browser: identified by its key, it only listens
            room = browser.key_room(key_id)
            await sio.enter_room(sid, room)
            conn.rooms.add(room)
        state.count("connections.total")
        SOCKETIO_CONNECTIONS.inc()
        SOCKETIO_CONNECTS.inc()
        conn.deadline = asyncio.get_running_loop().create_task(_drop_if_anonymous(sid))

    @sio.event
    async def disconnect(sid, *reason):
        conn = state.connections.pop(sid, None)
        if conn is None:
            return
        SOCKETIO_CONNECTIONS.dec()
        if conn.deadline is not None:
            conn.deadline.cancel()
        if conn.site_id:
            neopro.forget_site(sid, conn)

    neopro.register(sio)
    itstock.register(sio)

    @sio.on("*")
    async def unknown(event, sid, *data):
        from .guard import emit_error

        state.count("events.unknown")
        if sid in state.connections:
            await emit_error(sid, "UNKNOWN_EVENT", f"Unknown event: {event}"[:200], "")

    state.sio = sio
    return sio


def asgi_app(django_app):
    """Socket.IO under /socket.io/, everything else to Django."""
    sio = build_server()
    return socketio.ASGIApp(
        sio, other_asgi_app=django_app, socketio_path="socket.io", on_startup=start
    )
