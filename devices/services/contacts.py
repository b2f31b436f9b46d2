"""Contacts seen on hot paths, gathered in the cache and written by one beat task.

A node route must answer whether or not the broker is up, and the update check writes
nothing: so a check only notes "device D was seen at T" in the cache, and
`device_contacts_flush` (beat, every RELAIS_SEEN_INTERVAL_SECONDS) moves what was noted to
`Device.last_seen_at` in one bulk UPDATE that never moves a time backwards. No broker message
per device; nothing is lost when the broker is down (the notes wait in the cache).

Two ways to keep the notes, by cache backend:

- Redis: one hash, field = device id, value = epoch seconds. A check costs a dict write:
  each process buffers its contacts and a daemon thread pushes them every
  RELAIS_CONTACTS_PUSH_SECONDS in one HSET (a crash loses at most that much). The flush RENAMEs the hash away (atomic: a contact
  noted meanwhile goes to a fresh hash), reads it, writes, and deletes it; a flush that dies
  half-way leaves the renamed hash for the next one.
- any other cache (the embedded file cache): per pushed contact, an ADD opens the interval;
  the first contact of an interval also takes a sequence number (INCR) and stores itself
  under it (SET).
  The flush reads the numbers it has not flushed yet.

If the cache is down, the contact is logged and dropped: the route still answers, and the
device's next contact is noted again.
"""

import atexit
import logging
import os
import threading
import time

from django.conf import settings
from django.core.cache import cache

from core.cache import redis_client

logger = logging.getLogger(__name__)

HASH = "relais:seen"
FLUSHING = "relais:seen:flushing"
SEQ = "relais:seen:seq"
DONE = "relais:seen:done"  # the last sequence number flushed
TAKING = "relais:seen:taking"  # the last one a flush under way has read


# Devices this process noted, with when (monotonic): noting one again within
# RELAIS_SEEN_INTERVAL_SECONDS adds nothing the flush would keep.
_noted: dict[str, float] = {}
NOTED_MAX = 200_000
# Contacts waiting for this process's pusher thread (device id → epoch seconds).
_buffer: dict[str, int] = {}
_lock = threading.Lock()
_pusher_pid = None


def contacts_forget() -> None:
    """Forget which devices this process noted lately (each is noted again at its next
    contact)."""
    _noted.clear()


def contact_note(device_id) -> None:
    """Note that `device_id` was seen now. Never raises, never waits on the network: the
    contact is buffered, and a daemon thread hands the buffer to the cache every
    RELAIS_CONTACTS_PUSH_SECONDS in one operation (at 0, the note goes to the cache at
    once)."""
    device_id = str(device_id)
    moment = time.monotonic()
    if moment - _noted.get(device_id, -1e9) < settings.RELAIS_SEEN_INTERVAL_SECONDS:
        return
    if len(_noted) >= NOTED_MAX:
        _noted.clear()
    _noted[device_id] = moment
    period = settings.RELAIS_CONTACTS_PUSH_SECONDS
    if period <= 0:
        _push({device_id: int(time.time())})
        return
    with _lock:
        _buffer[device_id] = int(time.time())
    if _pusher_pid != os.getpid():
        _pusher_start(period)


def contacts_push() -> None:
    """Hand this process's buffered contacts to the cache (the pusher thread's work; the
    flush and process exit call it too)."""
    global _buffer
    with _lock:
        taken, _buffer = _buffer, {}
    if taken:
        _push(taken)


def _pusher_start(period: float) -> None:
    global _pusher_pid
    with _lock:
        if _pusher_pid == os.getpid():
            return
        _pusher_pid = os.getpid()  # a forked worker starts its own

    def run():
        while True:
            time.sleep(period)
            contacts_push()

    threading.Thread(target=run, name="relais-contacts", daemon=True).start()
    atexit.register(contacts_push)


def _push(contacts: dict[str, int]) -> None:
    """Into the Redis hash in one HSET, or one by one into another cache. Never raises: a
    cache outage drops the contacts (logged); the devices' next contacts are noted again."""
    try:
        client = redis_client()
        if client is not None:
            client.hset(cache.make_key(HASH), mapping=contacts)
            return
        ttl = settings.RELAIS_SEEN_INTERVAL_SECONDS
        for device_id, now in contacts.items():
            if cache.add(f"relais:seen:{device_id}", 1, timeout=ttl):
                cache.add(SEQ, 0, timeout=None)
                number = cache.incr(SEQ)
                cache.set(f"relais:seen:item:{number}", (device_id, now), timeout=None)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the node's request
        for device_id in contacts:
            _noted.pop(device_id, None)
        logger.warning("%d contacts not noted: cache unavailable", len(contacts), exc_info=True)


def contacts_take() -> dict[str, int]:
    """Device id → latest epoch seconds of every contact noted since the last take."""
    contacts_push()
    client = redis_client()
    if client is not None:
        source, target = cache.make_key(HASH), cache.make_key(FLUSHING)
        if client.exists(source) and not client.exists(target):
            client.rename(source, target)
        raw = client.hgetall(target)
        return {k.decode(): int(v) for k, v in raw.items()}
    last = cache.get(SEQ, 0)
    done = cache.get(DONE, 0)
    keys = [f"relais:seen:item:{n}" for n in range(done + 1, last + 1)]
    contacts: dict[str, int] = {}
    for start in range(0, len(keys), 1000):
        for device_id, seen in cache.get_many(keys[start : start + 1000]).values():
            contacts[device_id] = max(seen, contacts.get(device_id, 0))
    cache.set(TAKING, last, timeout=None)
    return contacts


def contacts_done() -> None:
    """The taken contacts are in the database: forget them."""
    client = redis_client()
    if client is not None:
        client.delete(cache.make_key(FLUSHING))
        return
    last = cache.get(TAKING)
    if last is None:
        return
    done = cache.get(DONE, 0)
    cache.delete_many([f"relais:seen:item:{n}" for n in range(done + 1, last + 1)])
    cache.set(DONE, last, timeout=None)
