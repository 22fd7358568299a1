"""The bare baseline for bench/intake.py: one Flask view inserting one ticket-sized row."""

import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)


class Row(db.Model):
    """Same payload as a ticket: subject, body, priority, requester e-mail, time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(db.String(200))
    body: Mapped[str] = mapped_column(db.Text)
    priority: Mapped[str] = mapped_column(db.String(16))
    email: Mapped[str] = mapped_column(db.String(254))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True))


with app.app_context():
    if db.engine.dialect.name == "sqlite":

        @event.listens_for(db.engine, "connect")
        def _pragmas(conn, _record):
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")

    db.create_all()


@app.post("/api/v1/tickets")
def create():
    """Insert the row and answer 201 with its id."""
    data = request.get_json()
    row = Row(
        subject=data["subject"],
        body=data["body"],
        priority=data.get("priority", "normal"),
        email=data["requester"]["email"],
        created_at=datetime.now(UTC),
    )
    db.session.add(row)
    db.session.commit()
    return jsonify({"id": row.id}), 201


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]), threaded=True)
