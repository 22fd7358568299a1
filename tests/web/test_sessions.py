"""Sign-in sessions that end: a copied cookie after sign-out, a new password, "sign out everywhere
else", and the list of one's sessions and API tokens on the settings page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import dates as babel_dates
from sqlalchemy import event, select

from helpdesk.extensions import db
from helpdesk.models import ApiToken, AuditEvent, UserSession
from helpdesk.services import accounts, sessions
from tests.conftest import api_token, login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

NEW = {"current": "pw", "password": "a better one", "confirm": "a better one"}
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def copy_of(app, http):
    """Another browser holding a copy of `http`'s session cookie (the same User-Agent)."""
    stolen = app.test_client()
    stolen.set_cookie("session", http.get_cookie("session").value)
    return stolen


def live_sessions(session, user) -> list[UserSession]:
    session.expire_all()
    return list(
        session.scalars(
            select(UserSession).where(
                UserSession.user_id == user.id, UserSession.ended_at.is_(None)
            )
        )
    )


def audit_kinds(session, kind: str) -> list[dict]:
    return [e.data for e in session.scalars(select(AuditEvent).where(AuditEvent.kind == kind))]


def test_a_copied_staff_cookie_opens_nothing_after_sign_out(app, client, ana, db_session):
    login(client, ana)
    stolen = copy_of(app, client)
    assert stolen.get("/agent/").status_code == 200  # the copy works while the session lives

    assert client.post("/logout").status_code == 302
    assert client.get("/agent/").status_code == 302
    assert stolen.get("/agent/").status_code == 302
    assert stolen.get("/settings").status_code == 302
    db_session.expire_all()
    [record] = db_session.scalars(select(UserSession).where(UserSession.user_id == ana.id))
    assert record.ended_at is not None and record.end_reason == "signed_out"


def test_a_copied_portal_cookie_opens_nothing_after_sign_out(app, client, kei, db_session):
    login(client, kei)
    stolen = copy_of(app, client)
    assert stolen.get("/c/acme/tickets").status_code == 200

    client.post("/c/acme/logout")
    assert stolen.get("/c/acme/tickets").status_code == 302
    assert stolen.get("/c/acme/settings").status_code == 302
    assert live_sessions(db_session, kei) == []


def test_a_cookie_without_a_session_record_opens_nothing(app, client, ana, db_session):
    # A cookie naming the user but no live record (as before this check existed) is signed out.
    with client.session_transaction() as cookie:
        cookie["_user_id"] = ana.get_id()
        cookie["_fresh"] = True
    assert client.get("/agent/").status_code == 302


def test_a_deactivated_user_is_signed_out_at_once(client, ana, db_session):
    login(client, ana)
    ana.active = False
    db_session.commit()
    assert client.get("/agent/").status_code == 302


def test_a_password_change_ends_other_sessions_and_tokens_but_not_this_one(
    app, client, kei, db_session
):
    elsewhere = app.test_client()
    login(client, kei)
    login(elsewhere, kei)
    headers = api_token(app.test_client(), kei)
    stolen = copy_of(app, elsewhere)

    client.post("/c/acme/settings/password", data=NEW)
    assert client.get("/c/acme/tickets").status_code == 200
    assert elsewhere.get("/c/acme/tickets").status_code == 302
    assert stolen.get("/c/acme/tickets").status_code == 302
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401
    [kept] = live_sessions(db_session, kei)
    [ended] = audit_kinds(db_session, "sessions_ended")
    assert ended == {"user_id": kei.id, "sessions": 1, "tokens": 1, "reason": "password_changed"}
    assert kept.end_reason is None


def test_a_password_set_from_a_link_ends_every_session_and_token(app, client, kei, db_session):
    login(client, kei)
    headers = api_token(app.test_client(), kei)
    accounts.set_password_from_link(
        db_session, kei, "from the link", realm_name="portal", now=datetime.now(UTC)
    )
    assert client.get("/c/acme/tickets").status_code == 302
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401
    assert live_sessions(db_session, kei) == []


def test_sign_out_everywhere_else_keeps_only_this_browser(app, client, ana, db_session):
    others = [app.test_client(), app.test_client()]
    login(client, ana)
    for other in others:
        login(other, ana)
    headers = api_token(app.test_client(), ana)

    done = client.post("/settings/sessions/end-others")
    assert done.status_code == 302 and done.location.endswith("/settings")
    assert client.get("/agent/").status_code == 200
    assert [o.get("/agent/").status_code for o in others] == [302, 302]
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401
    assert len(live_sessions(db_session, ana)) == 1
    [ended] = audit_kinds(db_session, "sessions_ended")
    assert ended["sessions"] == 2 and ended["reason"] == "signed_out_elsewhere"


def test_one_other_session_is_signed_out_from_the_list(app, client, kei, db_session):
    login(client, kei)
    [mine] = live_sessions(db_session, kei)
    other = app.test_client()
    login(other, kei)
    [theirs] = [s for s in live_sessions(db_session, kei) if s.id != mine.id]

    assert client.post(f"/c/acme/settings/sessions/{theirs.id}/end").status_code == 302
    assert other.get("/c/acme/tickets").status_code == 302
    assert client.get("/c/acme/tickets").status_code == 200
    assert [s.id for s in live_sessions(db_session, kei)] == [mine.id]


def test_another_users_session_or_token_answers_404_and_stays_live(
    app, client, factory, acme, kei, ana, db_session
):
    mia = factory.customer(acme, name="Mia")
    login(app.test_client(), mia)
    login(app.test_client(), ana)
    headers = api_token(app.test_client(), mia)
    [mias] = live_sessions(db_session, mia)
    [anas] = live_sessions(db_session, ana)
    token_id = db_session.scalar(select(ApiToken.id).where(ApiToken.user_id == mia.id))

    login(client, kei)
    assert client.post(f"/c/acme/settings/sessions/{mias.id}/end").status_code == 404
    assert client.post(f"/c/acme/settings/sessions/{anas.id}/end").status_code == 404
    assert client.post(f"/c/acme/settings/tokens/{token_id}/revoke").status_code == 404
    assert client.post("/c/acme/settings/tokens/99999999999/revoke").status_code == 404
    assert {s.id for s in live_sessions(db_session, mia)} == {mias.id}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200


def test_a_revoked_token_answers_401_at_once(app, client, ana, db_session):
    headers = api_token(app.test_client(), ana)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    login(client, ana)
    token_id = db_session.scalar(select(ApiToken.id).where(ApiToken.user_id == ana.id))
    done = client.post(f"/settings/tokens/{token_id}/revoke")
    assert done.status_code == 302
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401
    [revoked] = audit_kinds(db_session, "token_revoked")
    assert revoked == {"token": token_id}
    assert f'data-token-id="{token_id}"' not in client.get("/settings").get_data(as_text=True)


def test_the_settings_page_lists_sessions_and_tokens_in_words(
    app, client, kei, db_session, page_text
):
    kei.timezone = "Asia/Tokyo"
    db_session.commit()
    firefox = app.test_client()
    firefox.environ_base["HTTP_USER_AGENT"] = FIREFOX
    login(firefox, kei)
    http = app.test_client()
    http.post(
        "/api/v1/auth/token",
        json={"email": kei.email, "password": "pw", "name": "Nightly export"},
    )
    login(client, kei)

    page = client.get("/c/acme/settings")
    text = page_text(page)
    assert "Your sessions" in text and "API tokens" in text
    assert "Firefox on Windows" in text
    assert "This device" in text and text.count("This device") == 1
    assert "Sign out everywhere else" in text
    assert "Nightly export" in text and "never used" in text and "Revoke" in text
    # Times are shown in the viewer's zone (Tokyo), in the viewer's language.
    [record] = [s for s in live_sessions(db_session, kei) if s.user_agent == FIREFOX]
    shown = babel_dates.format_datetime(
        record.created_at, "medium", tzinfo=ZoneInfo("Asia/Tokyo"), locale="en"
    )
    assert " ".join(f"signed in {shown}".split()) in text


def test_last_seen_is_written_at_most_once_a_minute(client, ana, db_session):
    login(client, ana)
    [record] = live_sessions(db_session, ana)
    writes = []

    def note(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE user_sessions") and "last_seen_at <" in statement:
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for _ in range(3):
            assert client.get("/settings").status_code == 200
        assert writes == []  # signed in just now: seen less than a minute ago
        record.last_seen_at = datetime.now(UTC) - timedelta(minutes=5)
        db_session.commit()
        for _ in range(3):
            assert client.get("/settings").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(writes) == 1
    [record] = live_sessions(db_session, ana)
    assert datetime.now(UTC) - record.last_seen_at < timedelta(minutes=1)


def test_a_session_started_directly_is_live_until_ended(db_session, kei, now):
    key, record = sessions.start(db_session, kei, realm="portal", user_agent="x", ip=None, now=now)
    db_session.commit()
    assert sessions.live(db_session, key, user_id=kei.id)[0].id == record.id
    assert sessions.live(db_session, key, user_id=kei.id + 1) is None
    sessions.end(db_session, kei, record.id, reason="signed_out_elsewhere", now=now)
    assert sessions.live(db_session, key, user_id=kei.id) is None
