"""Socket.IO (python-socketio on ASGI): the NEOPRO agent's protocol and the ITStock CRM's
realtime push, over the same services as the HTTP routes. `server` builds the app,
`neopro` and `itstock` hold the handlers, `push` is what Django and Celery code calls."""
