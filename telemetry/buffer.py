"""Latest metrics per device, gathered in the cache and written by one beat task.

A report's row is inserted at once (in the same statement as the rest of its batch), but a
device's *latest* metrics would cost an UPDATE per report; instead each report notes them in
the cache and `latest_metrics_flush` (beat, every RELAIS_TELEMETRY_FLUSH_SECONDS) upserts
what was noted in bulk, the same design as device contacts (devices/contacts.py):

- Redis: one hash, field = device id, value = the latest report as JSON: one HSET per
  report. The flush RENAMEs the hash away (atomic), reads, writes, deletes it.
- another cache (the embedded file cache): the value under a per-device key, and the first
  note since the last flush also takes a sequence number (ADD, INCR, SET) so the flush
  finds the devices to write.

The cache being down loses a note (logged), never the report or the request.
"""

import json
import logging

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.serializers.json import DjangoJSONEncoder

logger = logging.getLogger(__name__)

HASH = "relais:latest"
FLUSHING = "relais:latest:flushing"
SEQ = "relais:latest:seq"
DONE = "relais:latest:done"
TAKING = "relais:latest:taking"


def _redis():
    """The raw Redis client of the default cache, or None for another backend. (`cache` is a
    proxy: the backend itself is `caches["default"]`.)"""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(write=True)
    return None


def latest_note(device_id, value: dict) -> None:
    """Note `value` (JSON types) as the device's latest report. Never raises."""
    try:
        client = _redis()
        encoded = json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":"))
        if client is not None:
            client.hset(cache.make_key(HASH), str(device_id), encoded)
            return
        cache.set(f"relais:latest:{device_id}", encoded, timeout=None)
        if cache.add(f"relais:latest:dirty:{device_id}", 1, timeout=None):
            cache.add(SEQ, 0, timeout=None)
            cache.set(f"relais:latest:item:{cache.incr(SEQ)}", str(device_id), timeout=None)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the node's request
        logger.warning(
            "latest metrics of %s not noted: cache unavailable", device_id, exc_info=True
        )


def latest_take() -> dict[str, dict]:
    """Device id → latest report noted since the last flush."""
    client = _redis()
    if client is not None:
        source, target = cache.make_key(HASH), cache.make_key(FLUSHING)
        if client.exists(source) and not client.exists(target):
            client.rename(source, target)
        return {k.decode(): json.loads(v) for k, v in client.hgetall(target).items()}
    last, done = cache.get(SEQ, 0), cache.get(DONE, 0)
    items = [f"relais:latest:item:{n}" for n in range(done + 1, last + 1)]
    found: dict[str, dict] = {}
    for start in range(0, len(items), 1000):
        ids = list(cache.get_many(items[start : start + 1000]).values())
        # Clear the marks before reading: a report noted from now on takes a new number.
        cache.delete_many([f"relais:latest:dirty:{i}" for i in ids])
        values = cache.get_many([f"relais:latest:{i}" for i in ids])
        found.update({key.rsplit(":", 1)[1]: json.loads(v) for key, v in values.items()})
    cache.set(TAKING, last, timeout=None)
    return found


def latest_done() -> None:
    """The taken values are in the database: forget them."""
    client = _redis()
    if client is not None:
        client.delete(cache.make_key(FLUSHING))
        return
    last = cache.get(TAKING)
    if last is None:
        return
    done = cache.get(DONE, 0)
    cache.delete_many([f"relais:latest:item:{n}" for n in range(done + 1, last + 1)])
    cache.set(DONE, last, timeout=None)
