"""ORM calls from the event loop: run in Django's thread-sensitive executor, with stale
connections closed around each call as a request would."""

import functools

from asgiref.sync import sync_to_async
from django.db import close_old_connections


def _fresh(fn, *args, **kwargs):
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


async def db(fn, *args, **kwargs):
    return await sync_to_async(functools.partial(_fresh, fn), thread_sensitive=True)(
        *args, **kwargs
    )
