"""The bare baseline for bench/chat.py: Flask-SocketIO rooms re-broadcasting chat lines.

Same stack as the app's server (threading mode under Werkzeug, or one gevent worker under
gunicorn, as bench/chat.py serves the app; simple-websocket), no
authentication, no database: `join_ticket` joins a room, `send_message` emits the line to
the room and acks it. Serves on 127.0.0.1:$PORT.
"""

import itertools
import os
import threading
from datetime import UTC, datetime

from flask import Flask
from flask_socketio import SocketIO, join_room

app = Flask(__name__)
# Explicit: with gevent installed, auto-detection would pick it for a threading server.
# bench/chat.py sets BARE_ASYNC_MODE=gevent when it serves this under gunicorn, as the app is.
socketio = SocketIO(
    app, async_mode=os.environ.get("BARE_ASYNC_MODE", "threading"), cors_allowed_origins=[]
)
_ids = itertools.count(1)
_ids_lock = threading.Lock()


@socketio.on("connect")
def on_connect(auth=None):
    """Accept everyone."""
    return True


@socketio.on("join_ticket")
def on_join(payload):
    """Join the ticket's room; no thread to replay."""
    join_room(f"ticket:{payload['ticket_id']}")
    return {"ok": True, "ticket_id": payload["ticket_id"], "messages": []}


@socketio.on("send_message")
def on_send(payload):
    """Broadcast the line to the room (sender included, as the app does) and ack it."""
    with _ids_lock:
        message_id = next(_ids)
    message = {
        "id": message_id,
        "ticket_id": payload["ticket_id"],
        "author": None,
        "body": payload["body"],
        "internal": False,
        "kind": "chat",
        "channel": "chat",
        "client_msg_id": payload["client_msg_id"],
        "created_at": datetime.now(UTC).isoformat(),
    }
    socketio.emit(
        "message",
        {"ticket_id": payload["ticket_id"], "message": message},
        to=f"ticket:{payload['ticket_id']}",
    )
    return {"ok": True, "message": message}


if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), allow_unsafe_werkzeug=True)
