"""Keep capabilities in URLs out of logs.

A CyberSensei `updateId` (`/update/download/<updateId>`) opens a download by itself, so
neither gunicorn's access log nor Django's request log may record it: both log the path with
the id replaced by `***`. So is the token of the admin's one-time secret page. Add a pattern here for any other URL that carries a capability.
"""

import logging
import re

from gunicorn.glogging import Logger
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

_CAPABILITY_PATHS = re.compile(r"(/update/download/|/admin/secret/)[^/?#\s\"]+")


def mask_path(text: str) -> str:
    return _CAPABILITY_PATHS.sub(r"\1***", text)


class MaskingGunicornLogger(Logger):
    """Gunicorn's logger, with capability paths masked in the access log's atoms."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for atom in ("r", "U", "f"):
            if isinstance(atoms.get(atom), str):
                atoms[atom] = mask_path(atoms[atom])
        return atoms


class MaskCapabilitiesFilter(logging.Filter):
    """A handler filter masking capability paths in any record (Django's `django.request`
    logs `Not Found: <path>` for every 4xx)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_path(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_path(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: mask_path(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


class MaskingJsonFormatter(JsonFormatter):
    """python-json-logger's formatter for RELAIS_LOG_FORMAT=json, with capability paths
    masked in the whole line (a record's extra fields are written too), and without
    Django's `request` extra: its repr holds the query string, where CyberSensei nodes send
    their license key (`?key=`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return mask_path(super().format(record))
