"""Uploads and downloads through `make run`'s server (config.asgi under uvicorn: Django's
WSGI handler in a2wsgi's threads, no proxy): a multipart body of several megabytes streamed
in, an artifact streamed out by Django (local files) or redirected to S3, byte for byte."""

import hashlib
import os

import pytest
import requests

from .offers import offered

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = os.urandom(12 * 1024 * 1024 + 17)  # beyond every buffer of the way in and out
SHA256 = hashlib.sha256(CONTENT).hexdigest()


def test_a_large_artifact_goes_in_and_out_whole(asgi_server):
    url = asgi_server()
    offer, node = offered(url, CONTENT)
    assert offer["checksum"] == SHA256
    # Local files: the file itself, streamed; S3 (CI's second run): a 302 to a presigned URL,
    # followed without the Authorization header, as HTTP clients do across hosts.
    download = requests.get(offer["downloadUrl"], headers=node, timeout=120, stream=True)
    assert download.status_code == 200
    digest, size = hashlib.sha256(), 0
    for chunk in download.iter_content(256 * 1024):
        digest.update(chunk)
        size += len(chunk)
    assert size == len(CONTENT) and digest.hexdigest() == SHA256
    resumed = requests.get(
        offer["downloadUrl"], headers={**node, "Range": "bytes=5000000-"}, timeout=120
    )
    assert resumed.status_code == 206 and resumed.content == CONTENT[5000000:]
