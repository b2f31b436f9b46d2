"""Log filters."""

import logging


class AccessLogWithoutQuery(logging.Filter):
    """uvicorn's access log (ASGI workers) with the path only: CyberSensei nodes send their
    license key as `?key=`, which must not reach the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True
