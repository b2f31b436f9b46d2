"""The servers' own refusals in JSON: what gunicorn and uvicorn answer themselves, before
Django sees a request their parsers refuse (a raw byte over 0x7F in the request target, a
control byte in a header, a request line over their limits), carries a `code` like every
other error of Relais instead of their HTML or text/plain page.

- gunicorn: `docker/gunicorn.conf.py` calls `use_json_errors_in_gunicorn()`, which replaces
  gunicorn's error writer (`gunicorn.util.write_error`, the one function its workers call).
- uvicorn: `--http config.serving:HttpToolsProtocol` (scripts/run-embedded, the realtime
  process of docker/entrypoint.sh), its httptools protocol with a JSON 400.

The servers' messages are not echoed: they quote the refused input, which may be a
credential."""

import json

from uvicorn.protocols.http import httptools_impl

ERROR_CODES = {
    400: "BAD_REQUEST",
    403: "PERMISSION_DENIED",
    414: "URI_TOO_LONG",
    417: "EXPECTATION_FAILED",
    431: "HEADERS_TOO_LARGE",
    501: "NOT_IMPLEMENTED",
}


def json_error(status: int, reason: str) -> bytes:
    """A whole HTTP/1.1 response, closing the connection, with a JSON error body."""
    code = ERROR_CODES.get(status, "SERVER_ERROR" if status >= 500 else "BAD_REQUEST")
    body = json.dumps({"code": code, "message": reason}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def use_json_errors_in_gunicorn() -> None:
    from gunicorn import util

    def write_error(sock, status_int, reason, mesg):
        util.write_nonblock(sock, json_error(status_int, reason))

    util.write_error = write_error


class HttpToolsProtocol(httptools_impl.HttpToolsProtocol):
    """uvicorn's default protocol (httptools), its 400 for malformed HTTP in JSON."""

    def send_400_response(self, msg: str) -> None:
        self.transport.write(json_error(400, "Bad Request"))
        self.transport.close()
