"""What every Socket.IO event goes through: counted, rate-limited per connection, refused
with an `error` event `{code, message, event}` when malformed, never a crash."""

import functools
import logging
import time

from django.conf import settings

from core.exceptions import ApiError

from .state import state

logger = logging.getLogger(__name__)


async def emit_error(sid: str, code: str, message: str, event: str = "") -> None:
    state.count(f"errors.{code}")
    body = {"code": code, "message": message}
    if event:
        body["event"] = event
    await state.sio.emit("error", body, to=sid)


def _allowed(conn) -> int:
    """0: pass; 1: over the rate (refuse the event); 2: far over it (drop the socket)."""
    rate = settings.RELAIS_SOCKETIO_EVENTS_PER_MINUTE
    window = int(time.monotonic() // 60)
    if window != conn.window:
        conn.window, conn.events_in_window = window, 0
    conn.events_in_window += 1
    if conn.events_in_window <= rate:
        return 0
    return 2 if conn.events_in_window > 2 * rate else 1


def guarded(event: str, *, payload=(dict,)):
    """Wrap a handler `(sid, conn, data)`: unknown connections, rates, payload types, and
    refusals (ApiError) become `error` events; anything else is logged and answered."""

    def wrap(handler):
        @functools.wraps(handler)
        async def run(sid, data=None, *extra):
            state.count(f"events.{event}")
            conn = state.connections.get(sid)
            if conn is None:
                return None
            verdict = _allowed(conn)
            if verdict:
                state.count("throttled")
                await emit_error(sid, "THROTTLED", "Too many events on this connection.", event)
                if verdict == 2:
                    await state.sio.disconnect(sid)
                return None
            if extra or not isinstance(data, payload):
                await emit_error(sid, "INVALID_PAYLOAD", f"Malformed `{event}` payload.", event)
                return None
            try:
                return await handler(sid, conn, data)
            except ApiError as exc:
                await emit_error(sid, exc.code, exc.message, event)
            except Exception:
                logger.exception("Socket.IO %s handler failed", event)
                await emit_error(sid, "INTERNAL_ERROR", "The server could not handle this.", event)
            return None

        return run

    return wrap
