"""What config/asgi.py puts between the ASGI server and Django's WSGI handler."""

import asyncio
import os
import tempfile
from contextvars import ContextVar

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


class _Handoff:
    """The file a request's thread leaves for the event loop to send."""

    file = None


_handoff: ContextVar[_Handoff | None] = ContextVar("relais_file_handoff", default=None)


class LoopFileWrapper:
    """`wsgi.file_wrapper` (Django's FileResponse uses it): under FilesOnLoop, the file is
    duplicated and left for the event loop to send, so the thread is free as soon as the
    view has answered; elsewhere, plain iteration in blocks."""

    def __init__(self, filelike, block_size=8192):
        self.filelike = self.original = filelike
        self.block_size = block_size
        handoff = _handoff.get()
        if handoff is None:
            return
        try:
            position = filelike.tell()
            fd = os.dup(filelike.fileno())
        except (AttributeError, OSError, ValueError):
            return  # not a file of the operating system: sent from the thread
        os.lseek(fd, position, os.SEEK_SET)
        handoff.file = os.fdopen(fd, "rb", buffering=0)
        self.filelike = None  # nothing for the thread to send

    def __iter__(self):
        if self.filelike is None:
            return iter(())
        return iter(lambda: self.filelike.read(self.block_size), b"")

    def close(self):  # Django's response.close: request_finished, the original file closed
        self.original.close()


def with_file_wrapper(wsgi_app):
    """Django's WSGI app with LoopFileWrapper as `wsgi.file_wrapper`."""

    def app(environ, start_response):
        environ["wsgi.file_wrapper"] = LoopFileWrapper
        return wsgi_app(environ, start_response)

    return app


class FilesOnLoop:
    """ASGI middleware around a2wsgi: a file response's body is read and sent from the event
    loop (reads in the default executor), at the client's pace, instead of from one of
    the few threads serving Django, which a slow download held until its end."""

    CHUNK = 64 * 1024

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        handoff = _Handoff()
        token = _handoff.set(handoff)  # a2wsgi copies this context into the thread

        async def sending(message):
            last = message["type"] == "http.response.body" and not message.get("more_body")
            if last and handoff.file is not None:
                return await self._stream(handoff.file, receive, send, scope["method"])
            return await send(message)

        try:
            return await self.app(scope, receive, sending)
        finally:
            _handoff.reset(token)
            if handoff.file is not None:
                handoff.file.close()

    async def _stream(self, file, receive, send, method):
        loop = asyncio.get_running_loop()
        gone = loop.create_task(_disconnected(receive))
        try:
            while method != "HEAD" and not gone.done():
                data = await loop.run_in_executor(None, file.read, self.CHUNK)
                if not data:
                    break
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            gone.cancel()


async def _disconnected(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
