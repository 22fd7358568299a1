"""Entry point: `flask --app wsgi ...` for commands; `python wsgi.py` serves HTTP and Socket.IO."""

import os

from helpdesk import create_app, scheduler
from helpdesk.extensions import socketio
from helpdesk.serving import tune_garbage_collector

app = create_app()
# Also under a bare `gunicorn wsgi:app` (no gunicorn.conf.py): the collector settings of a
# long-running server, before the workers fork (frozen startup objects stay shared).
tune_garbage_collector()

if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    scheduler.start(app)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
