"""Download capabilities (CyberSensei update ids) never reach the logs."""

import datetime
import logging
import runpy
import types
from io import StringIO
from pathlib import Path

import pytest
from gunicorn.config import Config

from core.logmask import mask_path

UPDATE_ID = "0b7c3d5e-1111-2222-3333-444455556666.9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff:1tAbCd:sig"


def test_mask_path():
    assert mask_path(f"/update/download/{UPDATE_ID}") == "/update/download/***"
    assert mask_path(f"GET /update/download/{UPDATE_ID}?x=1 HTTP/1.1") == (
        "GET /update/download/***?x=1 HTTP/1.1"
    )
    assert mask_path("/api/v1/updates/download/42") == "/api/v1/updates/download/42"


def test_gunicorn_access_log_masks_the_update_id(tmp_path):
    conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "docker/gunicorn.conf.py"))
    cfg = Config()
    for name in ("logger_class", "access_log_format"):
        cfg.set(name, conf[name])
    log_file = tmp_path / "access.log"
    cfg.set("accesslog", str(log_file))
    logger = cfg.logger_class(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/update/download/{UPDATE_ID}",
        "PATH_INFO": f"/update/download/{UPDATE_ID}",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
    }
    resp = types.SimpleNamespace(status="200 OK", sent=3, headers=[])
    req = types.SimpleNamespace(headers=[])
    logger.access(resp, req, environ, datetime.timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = log_file.read_text()
    assert '"GET /update/download/*** HTTP/1.1" 200' in line
    assert UPDATE_ID not in line and "1tAbCd" not in line


@pytest.mark.django_db
def test_django_request_log_masks_the_update_id(api_client):
    console = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = StringIO()
    previous = console.setStream(stream)
    try:
        response = api_client.get(f"/update/download/{UPDATE_ID}")
    finally:
        console.setStream(previous)
    assert response.status_code == 404
    logged = stream.getvalue()
    assert "/update/download/***" in logged
    assert UPDATE_ID not in logged
