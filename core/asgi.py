"""What config/asgi.py puts between the ASGI server and Django's WSGI handler."""

import tempfile

from django.conf import settings


class BodyFirst:
    """ASGI middleware: an HTTP request's whole body is read on the event loop (spooled to
    disk beyond FILE_UPLOAD_MAX_MEMORY_SIZE, as Django's ASGI handler does) before the
    wrapped app runs, and given to it with its Content-Length.

    In front of a2wsgi, whose threads would otherwise read the body as it arrives: a client
    sending slowly held one of the few threads serving Django for as long as it liked, and
    a body without Content-Length (chunked transfer encoding) reached Django empty."""

    CHUNK = 64 * 1024

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        message = await receive()
        if message["type"] == "http.disconnect":
            return None  # gone before its request was whole: nobody to answer
        if not message.get("more_body"):  # the usual case: the body in one message
            body = message.get("body", b"")
            return await self.app(_with_length(scope, len(body)), _replay([body], receive), send)
        with tempfile.SpooledTemporaryFile(settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as spool:
            size = 0
            while True:
                chunk = message.get("body", b"")
                spool.write(chunk)
                size += len(chunk)
                if not message.get("more_body"):
                    break
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
            spool.seek(0)
            chunks = iter(lambda: spool.read(self.CHUNK), b"")
            return await self.app(_with_length(scope, size), _replay(chunks, receive), send)


def _with_length(scope, size: int) -> dict:
    headers = [
        (name, value)
        for name, value in scope["headers"]
        if name not in (b"content-length", b"transfer-encoding")
    ]
    if size or len(headers) != len(scope["headers"]):
        headers.append((b"content-length", str(size).encode()))
    return {**scope, "headers": headers}


def _replay(chunks, receive):
    """An ASGI `receive` giving `chunks` as the body, then the client's own messages (the
    disconnect)."""
    chunks = iter(chunks)
    done = False

    async def replayed():
        nonlocal done
        if not done:
            chunk = next(chunks, None)
            if chunk:
                return {"type": "http.request", "body": chunk, "more_body": True}
            done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return replayed
