"""What config/asgi.py puts between the ASGI server and Django's WSGI handler (run by
a2wsgi in a few threads): request bodies read, and file responses sent, on the event loop,
so that a slow client holds none of those threads."""

import asyncio
import io
import json
import os
import tempfile
from contextvars import ContextVar

from django.conf import settings


class _HttpMiddleware:
    """An ASGI middleware acting on HTTP requests (`http`); the rest (lifespan) passes."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        return await self.http(scope, receive, send)


class BodyFirst(_HttpMiddleware):
    """ASGI middleware: an HTTP request's whole body is read on the event loop (spooled to
    disk beyond FILE_UPLOAD_MAX_MEMORY_SIZE, as Django's ASGI handler does) before the
    wrapped app runs, and given to it with its Content-Length; a body over
    RELAIS_MAX_REQUEST_BODY_BYTES is refused (413) as soon as it is declared or read.

    In front of a2wsgi, whose threads would otherwise read the body as it arrives: a client
    sending slowly held one of the few threads serving Django for as long as it liked, and
    a body without Content-Length (chunked transfer encoding) reached Django empty."""

    CHUNK = 64 * 1024

    async def http(self, scope, receive, send):
        limit = settings.RELAIS_MAX_REQUEST_BODY_BYTES
        if (_declared_length(scope) or 0) > limit:  # before `100 Continue`: nothing uploaded
            return await _too_large(send)
        message = await receive()
        if message["type"] == "http.disconnect":
            return None  # gone before its request was whole: nobody to answer
        if not message.get("more_body"):  # the usual case: the body in one message
            body = message.get("body", b"")
            if len(body) > limit:  # chunked: its length known only now
                return await _too_large(send)
            return await self.app(_with_length(scope, len(body)), _replay([body], receive), send)
        with tempfile.SpooledTemporaryFile(settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as spool:
            size = 0
            while True:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:  # chunked, or longer than declared
                    return await _too_large(send)
                spool.write(chunk)
                if not message.get("more_body"):
                    break
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
            spool.seek(0)
            chunks = iter(lambda: spool.read(self.CHUNK), b"")
            return await self.app(_with_length(scope, size), _replay(chunks, receive), send)


def _declared_length(scope_or_message) -> int | None:
    for name, value in scope_or_message["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


async def _too_large(send) -> None:
    body = json.dumps({"code": "REQUEST_TOO_LARGE", "message": "Request body too large."})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


def _with_length(scope, size: int) -> dict:
    """`scope` with one Content-Length of `size` (none added to a request without a body)."""
    headers = [
        (name, value)
        for name, value in scope["headers"]
        if name not in (b"content-length", b"transfer-encoding")
    ]
    if not size and len(headers) == len(scope["headers"]):
        return scope  # no body, nothing said of one: as it came
    headers.append((b"content-length", str(size).encode()))
    return {**scope, "headers": headers}


def _replay(chunks, receive):
    """An ASGI `receive` giving `chunks` as the body, then the client's own messages (the
    disconnect); `.client` is the client's own, past what is left of the body."""
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

    replayed.client = receive
    return replayed


class _Handoff:
    """The file a request's thread leaves for the event loop to send: a descriptor of its
    own and the offset to start from."""

    fd: int | None = None
    offset = 0


_handoff: ContextVar[_Handoff | None] = ContextVar("relais_file_handoff", default=None)


def _plain_file(filelike) -> bool:
    """A file of the operating system read as it is (not GzipFile and the like, whose
    `fileno()` is the compressed file's): its descriptor gives the same bytes."""
    inner = getattr(filelike, "file", filelike)  # Django's File around the real one
    if isinstance(inner, io.BufferedReader):
        inner = inner.raw
    return isinstance(inner, io.FileIO)


class LoopFileWrapper:
    """`wsgi.file_wrapper` (Django's FileResponse uses it): under FilesOnLoop, a plain
    file's descriptor is duplicated and left for the event loop to send, so the thread is
    free as soon as the view has answered; otherwise, plain iteration in blocks."""

    def __init__(self, filelike, block_size=8192):
        self.filelike = self.original = filelike
        self.block_size = block_size
        handoff = _handoff.get()
        if handoff is None or not _plain_file(filelike):
            return
        try:
            offset = filelike.tell()
            fd = os.dup(filelike.fileno())
        except (AttributeError, OSError, ValueError):
            return  # sent from the thread
        handoff.fd, handoff.offset = fd, offset  # read with pread: no shared offset moves
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


class FilesOnLoop(_HttpMiddleware):
    """ASGI middleware around a2wsgi: a file response's body is read (in the default
    executor) and sent from the event loop, at the client's pace, up to its Content-Length,
    instead of from one of the few threads serving Django, which a slow download held until
    its end. It stops when the client goes."""

    CHUNK = 64 * 1024

    async def http(self, scope, receive, send):
        handoff = _Handoff()
        token = _handoff.set(handoff)  # a2wsgi copies this context into the thread
        start = None

        async def sending(message):
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            last = message["type"] == "http.response.body" and not message.get("more_body")
            if last and handoff.fd is not None:  # its length read only for a file
                length = _declared_length(start)
                return await self._stream(handoff, length, receive, send, scope["method"])
            return await send(message)

        try:
            return await self.app(scope, receive, sending)
        finally:
            _handoff.reset(token)
            if handoff.fd is not None:
                os.close(handoff.fd)

    async def _stream(self, handoff, length, receive, send, method):
        loop = asyncio.get_running_loop()
        # The client's own receive: what Django left of the body is not read through.
        gone = loop.create_task(_disconnected(getattr(receive, "client", receive)))
        offset = handoff.offset
        left = 0 if method == "HEAD" else length  # None: no Content-Length, to the end
        try:
            while (left is None or left > 0) and not gone.done():
                size = self.CHUNK if left is None else min(self.CHUNK, left)
                data = await loop.run_in_executor(None, os.pread, handoff.fd, size, offset)
                if not data:
                    break  # shorter than said: the server ends the response as an error
                offset += len(data)
                left = None if left is None else left - len(data)
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            gone.cancel()


async def _disconnected(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
