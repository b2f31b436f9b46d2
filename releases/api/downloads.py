"""Sending an artifact: a redirect to a short-lived presigned URL when the storage can make
one (S3); else, behind the proxy (RELAIS_ACCEL_REDIRECT_PREFIX set), an `X-Accel-Redirect`
that nginx serves from the media volume; else (make run, tests) the file itself with
single-range support. The checks (credentials, signed links) are made before, in Django."""

import logging
import re
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from core.exceptions import ApiError

from ..links import presigned_url
from ..services.downloads import download_counted

logger = logging.getLogger(__name__)

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive of a single byte range; None to send the whole file."""
    match = _RANGE.match(header.strip())
    if not match:
        return None  # multiple or malformed ranges: RFC 9110 lets us ignore them
    start, end = match.groups()
    if start == "" and end == "":
        return None
    if start == "":
        length = int(end)
        if length == 0:
            raise ApiError("RANGE_NOT_SATISFIABLE", _("Empty suffix range."), 416)
        return max(size - length, 0), size - 1
    first = int(start)
    last = min(int(end), size - 1) if end else size - 1
    if first >= size or first > last:
        raise ApiError(
            "RANGE_NOT_SATISFIABLE",
            _("Range %(range)s is past the end (%(size)s bytes).")
            % {"range": header, "size": size},
            416,
        )
    return first, last


def _read(handle, remaining: int, chunk: int = 64 * 1024):
    try:
        while remaining > 0:
            data = handle.read(min(chunk, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


def artifact_response(request, artifact):
    header = request.META.get("HTTP_RANGE", "")
    url = presigned_url(artifact.file.name)
    if url and url.startswith(("http://", "https://")):
        _counted(request, artifact, header)
        return HttpResponseRedirect(url)
    size = artifact.size
    disposition = {"as_attachment": True, "filename": artifact.filename}
    byte_range = _parse_range(header, size) if header else None
    if settings.RELAIS_ACCEL_REDIRECT_PREFIX:
        _counted(request, artifact, header)
        return _handed_to_proxy(artifact)
    handle = _open(artifact)
    _counted(request, artifact, header)
    if byte_range is None:
        response = FileResponse(handle, **disposition)
        response["Accept-Ranges"] = "bytes"
        response["Content-Length"] = str(size)
        return response
    first, last = byte_range
    handle.seek(first)
    if last == size - 1:  # to the end (a resumed download): a file response, as a whole one
        response = FileResponse(handle, status=206, content_type="application/octet-stream")
    else:
        response = StreamingHttpResponse(
            _read(handle, last - first + 1), status=206, content_type="application/octet-stream"
        )
    response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(True, artifact.filename)
    return response


def _counted(request, artifact, range_header: str) -> None:
    if request.method == "GET":
        download_counted(artifact=artifact, range_header=range_header)


def _open(artifact):
    """The artifact's file; a JSON refusal (never a 500) when storage lost it (404
    ARTIFACT_FILE_MISSING, logged: an operator's matter) or cannot be read now (503)."""
    try:
        return default_storage.open(artifact.file.name, "rb")
    except FileNotFoundError as exc:
        logger.error("%s: file %s missing from storage", artifact.filename, artifact.file.name)
        raise ApiError(
            "ARTIFACT_FILE_MISSING", _("This file is missing from storage."), 404
        ) from exc
    except OSError as exc:
        raise ApiError(
            "STORAGE_UNAVAILABLE", _("Storage cannot be read now; try again later."), 503
        ) from exc


def _handed_to_proxy(artifact) -> HttpResponse:
    """An empty answer naming the file for nginx's `internal` location: nginx sends it (and
    its ranges, the Range header having been checked above) at the client's pace, from
    no thread of Django's."""
    response = HttpResponse(content_type="application/octet-stream")
    prefix = settings.RELAIS_ACCEL_REDIRECT_PREFIX.rstrip("/")
    response["X-Accel-Redirect"] = f"{prefix}/{quote(artifact.file.name)}"
    response["Content-Disposition"] = content_disposition_header(True, artifact.filename)
    response["Accept-Ranges"] = "bytes"
    return response
