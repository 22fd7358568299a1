"""API authentication: the Bearer token of every request, and user tokens for credentials."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import parse_body
from helpdesk.api.principal import bearer_token, public, resolve
from helpdesk.errors import error_response
from helpdesk.extensions import db
from helpdesk.models import Client
from helpdesk.ratelimit import login_limits, mark_failed_login
from helpdesk.schemas import Token, TokenRequest
from helpdesk.serializers import iso
from helpdesk.services import accounts, follow_the_sun, second_factor, sessions
from helpdesk.services.auth import TOKEN_LIFETIME, authenticate, issue_token

NO_REALM = -1  # matches no user, so an unknown client slug costs a password check too


def _unauthorized(code: str, message: str, *, invalid_token: bool):
    response, status = error_response(401, code, message)
    challenge = 'Bearer realm="helpdesk"'
    if invalid_token:
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response, status


@bp.before_request
def authenticate_request():
    """Resolve the Bearer token into g.principal; 401 when it is missing or invalid.

    Only tokens count: the API is exempt from CSRF, so a session cookie must not
    authorise anything here.
    """
    g.principal = None
    view = current_app.view_functions.get(request.endpoint)
    # OPTIONS only lists the allowed methods, which the OpenAPI document shows anyway.
    if getattr(view, "public", False) or request.method == "OPTIONS":
        return None
    header = request.headers.get("Authorization")
    token = bearer_token(header)
    if token is None:
        return _unauthorized(
            "unauthorized",
            _("Send Authorization: Bearer TOKEN."),
            invalid_token=bool(header),
        )
    now = datetime.now(UTC)
    g.principal = resolve(db.session, token, now=now)
    if g.principal is None:
        return _unauthorized(
            "unauthorized", _("The token is invalid or has expired."), invalid_token=True
        )
    if g.principal.token is not None:
        sessions.token_used(db.session, g.principal.token, now=now)  # at most once a minute
    if g.principal.user is not None and g.principal.user.role == "agent":
        # A program working as an agent is active too (idle agents become away).
        follow_the_sun.touch(db.session, g.principal.user, now=now)
    return None


@bp.post("/auth/token")
@public
@login_limits
@operation(
    summary="Exchange e-mail and password for a user token.",
    description="Failure is 401 `invalid_credentials`, whether or not the e-mail exists; "
    "403 `email_unconfirmed` for a portal registration whose address is not confirmed yet. "
    "Failed attempts are limited per e-mail and per address (429 with `Retry-After`). "
    "Staff with a second factor, or whom the site requires to have one, also send `code` (a "
    "current code from their authenticator app, or one of their recovery codes): without it "
    "the answer is 401 `second_factor_required` (also while they have not set one up yet, at "
    "/settings/security), with a wrong or reused one 401 `invalid_second_factor`.",
    body=TokenRequest,
    responses={200: Token},
    errors=(401, 403, 429),
)
def create_token():
    """Sign in with e-mail and password (optionally as one client's customer)."""
    data = parse_body(TokenRequest)
    realm = None
    if data.client is not None:
        client = db.session.scalar(select(Client).where(Client.slug == data.client))
        realm = client.id if client is not None else NO_REALM
    user = authenticate(db.session, email=data.email, password=data.password, realm=realm)
    if user is None:
        mark_failed_login()
        accounts.failed_sign_in(
            db.session,
            email=data.email,
            realm="api",
            client_id=realm if realm not in (None, NO_REALM) else None,
        )
        return _unauthorized(
            "invalid_credentials", _("Wrong e-mail or password."), invalid_token=False
        )
    if accounts.is_pending_registration(user):
        response, status = error_response(
            403,
            "email_unconfirmed",
            _("Confirm your e-mail address first: open the link we mailed to you."),
        )
        return response, status
    now = datetime.now(UTC)
    refused = _second_factor_refusal(user, data.code, now=now)
    if refused is not None:
        return refused
    token = issue_token(db.session, user, now=now, name=data.name)
    return jsonify(token=token, expires_at=iso(now + TOKEN_LIFETIME))


def _second_factor_refusal(user, code: str | None, *, now: datetime):
    """None when the user needs no second factor or `code` passes; else the 401 to answer."""
    if not second_factor.asked_of(db.session, user):
        return None
    if not second_factor.enrolled(user):
        return _unauthorized(
            "second_factor_required",
            _("Set up a second factor at /settings/security first, then send its code."),
            invalid_token=False,
        )
    if not code:
        return _unauthorized(
            "second_factor_required",
            _("Send `code`: a code from your authenticator app or a recovery code."),
            invalid_token=False,
        )
    try:
        second_factor.verify(db.session, user, code, now=now, via="api")
    except second_factor.WrongCode as exc:
        mark_failed_login()
        return _unauthorized("invalid_second_factor", exc.message, invalid_token=False)
    return None
