"""Staff second factor: TOTP secrets, codes accepted once, recovery codes, the site's rule.

Every function takes the session and `now`; each one that changes something records its
audit event and commits. A code is a 6-digit TOTP (RFC 6238, 30-second steps, one step of
clock skew either way) or one of the ten recovery codes given at enrolment.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from helpdesk.models import STAFF_REALM, RecoveryCode, SiteSetting, User
from helpdesk.services import audit
from helpdesk.services.errors import ServiceError

STEP_SECONDS = 30
SKEW_STEPS = 1  # a phone's clock may be one step behind or ahead
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10
POLICY_KEY = "second_factor_required"
POLICIES = ("admins", "staff")  # who must have one: admins only, or every staff member
DEFAULT_POLICY = "admins"
_TOTP_SHAPE = re.compile(r"\d{6}")


class WrongCode(ServiceError):
    """The code is not a current TOTP code nor an unused recovery code of the user."""

    status = 401
    code = "invalid_second_factor"


class WrongPassword(ServiceError):
    """The password given as proof does not match."""

    status = 401
    code = "invalid_credentials"


class StillRequired(ServiceError):
    """The site's rule requires this person to keep a second factor."""

    status = 409
    code = "second_factor_required"


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def enrolled(user: User) -> bool:
    """Whether the user has a confirmed second factor."""
    return bool(user.totp_secret) and user.totp_enabled_at is not None


def policy(session: Session) -> str:
    """Who must have a second factor: "admins" (the default) or "staff" (everyone at /login)."""
    value = session.get(SiteSetting, POLICY_KEY)
    return value.value if value is not None and value.value in POLICIES else DEFAULT_POLICY


def required_for(session: Session, user: User) -> bool:
    """Whether the site's rule requires this user to have a second factor (never customers)."""
    if user.realm != STAFF_REALM:
        return False
    return user.role == "admin" or policy(session) == "staff"


def asked_of(session: Session, user: User) -> bool:
    """Whether signing in as this user needs a second factor (enrolled, or required to be)."""
    return user.realm == STAFF_REALM and (enrolled(user) or required_for(session, user))


def current_step(now: datetime) -> int:
    """The TOTP time step `now` falls in."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The TOTP code of one time step."""
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


def matching_step(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The time step whose code this is, within the skew and after the last one accepted."""
    code = _compact(code)
    if not _TOTP_SHAPE.fullmatch(code):
        return None
    step = current_step(now)
    for candidate in (step, step - SKEW_STEPS, step + SKEW_STEPS):
        if last_step is not None and candidate <= last_step:
            continue  # each step is accepted once, and never one older than the last
        if hmac.compare_digest(code_at(secret, candidate), code):
            return candidate
    return None


def recovery_digest(code: str) -> str:
    """The stored form of a recovery code (case, spaces and dashes do not matter)."""
    return hashlib.sha256(_compact(code).replace("-", "").lower().encode()).hexdigest()


def _compact(code: str) -> str:
    return "".join((code or "").split())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=recovery_digest(c)) for c in codes)
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    """How many of the user's recovery codes are still unused."""
    return session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def confirm_enrolment(
    session: Session, user: User, *, secret: str, code: str, now: datetime
) -> list[str]:
    """Turn the factor on with `secret` once `code` proves the app has it; audited.

    Replaces an enrolled factor (a new phone) and its recovery codes. Returns the new recovery
    codes in clear, to be shown once. Raises WrongCode (audited, nothing changed).
    """
    step = matching_step(secret, code, now=now, last_step=None)
    if step is None:
        _failed(session, user, now=now, via="enrolment")
        raise WrongCode(_wrong_code_message())
    replaced = enrolled(user)
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = _replace_recovery_codes(session, user)
    audit.record_request(
        session, "second_factor_enrolled", actor=user, now=now, data={"replaced": replaced}
    )
    session.commit()
    return codes


def verify(session: Session, user: User, code: str, *, now: datetime, via: str) -> str:
    """Check a sign-in's second factor: "totp" or "recovery" (used up, audited) when it passes.

    Raises WrongCode after recording the failure. A TOTP step or a recovery code is taken
    with a conditional UPDATE, so two processes racing with the same code accept it once.
    """
    if enrolled(user):
        how = _take_code(session, user, code, now=now)
        if how is not None:
            if how == "recovery":
                audit.record_request(
                    session,
                    "recovery_code_used",
                    actor=user,
                    now=now,
                    data={"via": via, "left": recovery_codes_left(session, user)},
                )
            session.commit()
            return how
    _failed(session, user, now=now, via=via)
    raise WrongCode(_wrong_code_message())


def _take_code(session: Session, user: User, code: str, *, now: datetime) -> str | None:
    step = matching_step(user.totp_secret, code, now=now, last_step=user.totp_last_step)
    if step is not None:
        taken = session.execute(
            update(User)
            .where(
                User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step)
            )
            .values(totp_last_step=step),
            execution_options={"synchronize_session": False},
        )
        if taken.rowcount == 1:
            set_committed_value(user, "totp_last_step", step)
            return "totp"
        return None
    if _TOTP_SHAPE.fullmatch(_compact(code)) or not _compact(code):
        return None
    taken = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == recovery_digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    return "recovery" if taken.rowcount == 1 else None


def _failed(session: Session, user: User, *, now: datetime, via: str) -> None:
    audit.record_request(session, "second_factor_failed", actor=user, now=now, data={"via": via})
    session.commit()


def _wrong_code_message() -> str:
    return _("That code is not right, or it was used already.")


def regenerate_recovery_codes(
    session: Session, user: User, *, code: str = "", password: str = "", now: datetime
) -> list[str]:
    """New recovery codes for an enrolled user (the old ones stop working); proof required."""
    _prove(session, user, code=code, password=password, now=now, via="recovery_codes")
    codes = _replace_recovery_codes(session, user)
    audit.record_request(
        session, "second_factor_enrolled", actor=user, now=now, data={"recovery_codes": "new"}
    )
    session.commit()
    return codes


def disable(
    session: Session, user: User, *, code: str = "", password: str = "", now: datetime
) -> None:
    """Turn the factor off with a current code or the password as proof; audited.

    Raises StillRequired when the site's rule requires it for this user.
    """
    if required_for(session, user):
        raise StillRequired(
            _(
                "The site requires a second factor for you. Set it up on a new device instead, "
                "or ask an administrator to reset it."
            )
        )
    _prove(session, user, code=code, password=password, now=now, via="disable")
    _clear(session, user)
    audit.record_request(session, "second_factor_removed", actor=user, now=now)
    session.commit()


def _prove(session: Session, user: User, *, code: str, password: str, now: datetime, via: str):
    if code:
        verify(session, user, code, now=now, via=via)
    elif not (password and user.check_password(password)):
        raise WrongPassword(_("That is not your current password."))


def _clear(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def reset(session: Session, user: User, *, actor: User | None, now: datetime, via: str) -> bool:
    """An admin (or the CLI, actor None) clears someone's factor and recovery codes; audited.

    The person enrols again at their next sign-in when the rule requires it; every device
    remembered with the old secret is forgotten. False when there was nothing to reset.
    """
    if not user.totp_secret and recovery_codes_left(session, user) == 0:
        return False
    _clear(session, user)
    audit.record_request(
        session,
        "second_factor_reset",
        actor=actor,
        client_id=user.client_id,
        now=now,
        data={"user_id": user.id, "email": user.email, "by": actor.email if actor else via},
    )
    session.commit()
    return True


def set_policy(session: Session, value: str, *, actor: User, now: datetime) -> None:
    """Change who must have a second factor ("admins" or "staff"); audited when it changes."""
    if value not in POLICIES:
        message = _("Choose who must use a second factor.")
        raise ServiceError(message, fields={"policy": message})
    before = policy(session)
    setting = session.get(SiteSetting, POLICY_KEY)
    if setting is None:
        setting = SiteSetting(key=POLICY_KEY)
        session.add(setting)
    setting.value = value
    setting.updated_at = now
    if before != value:
        audit.record_request(
            session,
            "second_factor_policy",
            actor=actor,
            now=now,
            data={"from": before, "to": value},
        )
    session.commit()
