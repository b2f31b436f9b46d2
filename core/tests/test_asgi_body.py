"""core.asgi.BodyFirst: the whole body is read on the event loop before Django's WSGI
handler (a2wsgi's threads) sees the request, with its Content-Length."""

import asyncio
import gzip
import json
import os

import pytest

from core.asgi import BodyFirst


def _run(messages, headers=()):
    """Drive BodyFirst with `messages` from the client; what the app saw, or None."""
    seen = {}
    incoming = list(messages)

    async def receive():
        if incoming:
            await asyncio.sleep(0)  # the client sends slowly: the loop runs meanwhile
            return incoming.pop(0)
        await asyncio.sleep(3600)  # nothing more from the client

    async def app(scope, receive, send):
        assert not incoming, "the app started before the body was whole"
        body = b""
        while True:
            message = await receive()
            body += message["body"]
            if not message["more_body"]:
                break
        seen.update(headers=dict(scope["headers"]), body=body)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": list(headers)}
    asyncio.run(BodyFirst(app)(scope, receive, None))
    return seen or None


def _body(parts):
    last = len(parts) - 1
    return [
        {"type": "http.request", "body": part, "more_body": i < last}
        for i, part in enumerate(parts)
    ]


def test_a_chunked_body_arrives_whole_with_its_length():
    seen = _run(_body([b'{"a":', b"1", b"}"]), headers=[(b"transfer-encoding", b"chunked")])
    assert seen["body"] == b'{"a":1}'
    assert seen["headers"][b"content-length"] == b"7"
    assert b"transfer-encoding" not in seen["headers"]


def test_a_body_in_one_message_passes_as_it_came():
    seen = _run(_body([b"x" * 10]), headers=[(b"content-length", b"10")])
    assert seen == {"headers": {b"content-length": b"10"}, "body": b"x" * 10}
    assert _run(_body([b""]))["headers"] == {}  # a GET: no length invented


@pytest.mark.parametrize("size", [5 * 1024 * 1024 + 3])  # beyond the in-memory spool
def test_a_large_body_is_spooled_and_given_back_byte_for_byte(size, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    content = os.urandom(size)
    parts = [content[i : i + 100_000] for i in range(0, size, 100_000)]
    seen = _run(_body(parts), headers=[(b"content-length", str(size).encode())])
    assert seen["body"] == content and seen["headers"][b"content-length"] == str(size).encode()


def test_a_client_gone_before_its_body_was_whole_reaches_nothing():
    messages = _body([b"part", b"more"])[:1] + [{"type": "http.disconnect"}]
    assert _run(messages) is None


def test_the_file_wrapper_iterates_where_no_loop_takes_the_file(tmp_path):
    import io

    from core.asgi import LoopFileWrapper, _Handoff, _handoff

    path = tmp_path / "artifact.bin"
    path.write_bytes(b"0123456789")
    handle = path.open("rb")
    handle.seek(2)
    plain = LoopFileWrapper(handle, block_size=4)  # outside FilesOnLoop: blocks, in order
    assert list(plain) == [b"2345", b"6789"]
    plain.close()
    assert handle.closed

    token = _handoff.set(_Handoff())
    try:  # under FilesOnLoop, a file without a descriptor is still sent from the thread
        memory = LoopFileWrapper(io.BytesIO(b"abc"), block_size=2)
        assert list(memory) == [b"ab", b"c"]
        compressed = tmp_path / "artifact.gz"
        with gzip.open(compressed, "wb") as out:
            out.write(b"z" * 1000)
        with gzip.open(compressed, "rb") as unzipped:  # a descriptor, but other bytes
            assert b"".join(LoopFileWrapper(unzipped, block_size=4096)) == b"z" * 1000
        assert _handoff.get().fd is None
        with path.open("rb") as original:
            original.seek(6)
            taken = LoopFileWrapper(original, block_size=2)
            assert list(taken) == []  # the loop sends it: a descriptor of its own, same place
        handoff = _handoff.get()
        assert os.pread(handoff.fd, 100, handoff.offset) == b"6789"
        os.close(handoff.fd)
    finally:
        _handoff.reset(token)


def _refused(scope_headers, messages):
    """BodyFirst with a limit of 10 bytes: (what was sent back, messages left unread)."""
    sent, incoming = [], list(messages)

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        raise AssertionError("the app ran")

    scope = {"type": "http", "method": "POST", "path": "/", "headers": scope_headers}
    asyncio.run(BodyFirst(app)(scope, receive, send))
    return sent, incoming


def test_a_body_over_the_limit_is_refused(settings):
    settings.RELAIS_MAX_REQUEST_BODY_BYTES = 10
    declared, unread = _refused([(b"content-length", b"11")], _body([b"x" * 11]))
    assert declared[0]["status"] == 413 and len(unread) == 1  # refused before reading
    assert json.loads(declared[1]["body"])["code"] == "REQUEST_TOO_LARGE"
    chunked, _ = _refused([(b"transfer-encoding", b"chunked")], _body([b"x" * 6, b"x" * 6]))
    assert chunked[0]["status"] == 413
    at_once, _ = _refused([(b"transfer-encoding", b"chunked")], _body([b"x" * 12]))
    assert at_once[0]["status"] == 413  # a chunked body the server had whole at once
