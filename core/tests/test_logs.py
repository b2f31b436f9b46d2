import logging

from core.logs import AccessLogWithoutQuery


def test_uvicorn_access_log_loses_the_query_string():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/license/validate?key=SECRET", "1.1", 200),
        None,
    )
    assert AccessLogWithoutQuery().filter(record)
    assert "SECRET" not in record.getMessage()
    assert record.getMessage() == '127.0.0.1:5000 - "GET /api/license/validate HTTP/1.1" 200'
