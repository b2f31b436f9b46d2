"""What node routes note for beat to write: each device's latest report, and values over an
alert threshold. Both are gathered in the cache and written in bulk by
`latest_metrics_flush` (beat, every RELAIS_TELEMETRY_FLUSH_SECONDS), the same design as
device contacts: a request never UPDATEs a row per report, nor opens an alert (which
publishes an event whose webhook would be queued on the broker from the request).

- Redis: one hash per buffer, field → JSON; a note is one HSET (several fields at once for
  peaks). The flush RENAMEs the hash away (atomic: what is noted meanwhile goes to a fresh
  hash), reads it, writes, and deletes it; a flush that dies half-way leaves the renamed
  hash for the next one.
- another cache (the embedded file cache): the value under its own key, and the first note
  of a field since the last flush takes a sequence number (ADD, INCR, SET) so the flush
  finds it.

The cache being down loses a note (logged), never the report or the request.
"""

import json
import logging
from typing import Any
from urllib.parse import quote

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder

from core.cache import redis_client

logger = logging.getLogger(__name__)


class Buffer:
    def __init__(self, name: str):
        self.name = name
        self.hash = f"relais:{name}"
        self.flushing = f"relais:{name}:flushing"
        self.seq, self.done_key, self.taking = (
            f"relais:{name}:{k}" for k in ("seq", "done", "taking")
        )

    def note(self, values: dict[str, Any]) -> None:
        """Note field → value (JSON types). Never raises."""
        try:
            encoded = {
                str(k): json.dumps(v, cls=DjangoJSONEncoder, separators=(",", ":"))
                for k, v in values.items()
            }
            client = redis_client()
            if client is not None:
                client.hset(cache.make_key(self.hash), mapping=encoded)
                return
            for field, value in encoded.items():
                cache.set(self._key(field), value, timeout=None)
                if cache.add(self._key(field, "dirty"), 1, timeout=None):
                    cache.add(self.seq, 0, timeout=None)
                    cache.set(f"{self.hash}:item:{cache.incr(self.seq)}", field, timeout=None)
        except Exception:  # noqa: BLE001 - a cache outage must not fail the node's request
            logger.warning("%s not noted: cache unavailable", self.name, exc_info=True)

    def _key(self, field: str, kind: str = "value") -> str:
        # Metric names may hold spaces: keys stay safe for every cache backend.
        return f"{self.hash}:{kind}:{quote(field, safe=':-')}"

    def take(self) -> dict[str, Any]:
        """Field → value noted since the last flush."""
        client = redis_client()
        if client is not None:
            source, target = cache.make_key(self.hash), cache.make_key(self.flushing)
            if client.exists(source) and not client.exists(target):
                client.rename(source, target)
            return {k.decode(): json.loads(v) for k, v in client.hgetall(target).items()}
        last, done = cache.get(self.seq, 0), cache.get(self.done_key, 0)
        items = [f"{self.hash}:item:{n}" for n in range(done + 1, last + 1)]
        found: dict[str, Any] = {}
        for start in range(0, len(items), 1000):
            fields = list(cache.get_many(items[start : start + 1000]).values())
            # Clear the marks before reading: a note from now on takes a new number.
            cache.delete_many([self._key(f, "dirty") for f in fields])
            keys = {self._key(f): f for f in fields}
            values = cache.get_many(list(keys))
            found.update({keys[key]: json.loads(v) for key, v in values.items()})
        cache.set(self.taking, last, timeout=None)
        return found

    def done(self) -> None:
        """What was taken is in the database: forget it."""
        client = redis_client()
        if client is not None:
            client.delete(cache.make_key(self.flushing))
            return
        last = cache.get(self.taking)
        if last is None:
            return
        done = cache.get(self.done_key, 0)
        cache.delete_many([f"{self.hash}:item:{n}" for n in range(done + 1, last + 1)])
        cache.set(self.done_key, last, timeout=None)


latest = Buffer("latest")  # device id → its latest report
peaks = Buffer("peaks")  # "device:metric:severity" → a value over that threshold


def latest_note(device_id, value: dict) -> None:
    latest.note({str(device_id): value})
