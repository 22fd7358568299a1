"""The staff second factor as a service: TOTP on a frozen clock, skew, replays, recovery codes,
turning it off, an admin's reset and the site's rule."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from helpdesk.models import AuditEvent, RecoveryCode
from helpdesk.services import second_factor
from helpdesk.services.errors import ServiceError

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp(at) -> str:
    """What a phone with its clock at `at` shows."""
    return pyotp.TOTP(SECRET).at(at)


def kinds(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


@pytest.fixture
def agent(factory):
    """A staff member without a second factor."""
    return factory.agent()


@pytest.fixture
def enrolled(db_session, agent, now):
    """The agent with SECRET turned on a minute before `now`, and the recovery codes."""
    earlier = now - timedelta(seconds=60)
    codes = second_factor.confirm_enrolment(
        db_session, agent, secret=SECRET, code=totp(earlier), now=earlier
    )
    return agent, codes


def test_a_code_from_the_app_turns_the_factor_on_with_ten_recovery_codes(db_session, agent, now):
    codes = second_factor.confirm_enrolment(
        db_session, agent, secret=SECRET, code=totp(now), now=now
    )

    assert second_factor.enrolled(agent)
    assert agent.totp_enabled_at == now
    assert len(codes) == len(set(codes)) == 10
    assert kinds(db_session) == ["second_factor_enrolled"]


def test_a_wrong_first_code_turns_nothing_on_and_is_recorded(db_session, agent, now):
    with pytest.raises(second_factor.WrongCode):
        second_factor.confirm_enrolment(
            db_session, agent, secret=SECRET, code=totp(now + timedelta(minutes=5)), now=now
        )

    assert not second_factor.enrolled(agent) and agent.totp_secret is None
    assert kinds(db_session) == ["second_factor_failed"]


def test_the_code_of_the_current_step_passes_on_a_frozen_clock(db_session, enrolled, now):
    agent, _codes = enrolled

    assert second_factor.verify(db_session, agent, totp(now), now=now, via="staff") == "totp"


@pytest.mark.parametrize("skew", [-30, 30])
def test_a_phone_one_step_slow_or_fast_is_accepted(db_session, enrolled, now, skew):
    agent, _codes = enrolled
    phone = now + timedelta(seconds=skew)

    assert second_factor.verify(db_session, agent, totp(phone), now=now, via="staff") == "totp"


@pytest.mark.parametrize("skew", [-90, 90])
def test_a_phone_three_steps_off_is_refused(db_session, enrolled, now, skew):
    agent, _codes = enrolled
    phone = now + timedelta(seconds=skew)

    with pytest.raises(second_factor.WrongCode):
        second_factor.verify(db_session, agent, totp(phone), now=now, via="staff")
    assert kinds(db_session)[-1] == "second_factor_failed"


def test_a_code_replayed_within_its_step_is_refused(db_session, enrolled, now):
    agent, _codes = enrolled
    code = totp(now)
    second_factor.verify(db_session, agent, code, now=now, via="staff")

    with pytest.raises(second_factor.WrongCode):
        second_factor.verify(db_session, agent, code, now=now + timedelta(seconds=5), via="api")


def test_after_a_newer_step_an_older_code_is_refused_too(db_session, enrolled, now):
    agent, _codes = enrolled
    second_factor.verify(db_session, agent, totp(now + timedelta(seconds=30)), now=now, via="staff")

    with pytest.raises(second_factor.WrongCode):
        second_factor.verify(db_session, agent, totp(now), now=now, via="staff")


def test_the_next_step_works_once_its_time_comes(db_session, enrolled, now):
    agent, _codes = enrolled
    second_factor.verify(db_session, agent, totp(now), now=now, via="staff")
    later = now + timedelta(seconds=30)

    assert second_factor.verify(db_session, agent, totp(later), now=later, via="staff") == "totp"


def test_spaces_in_a_typed_code_do_not_matter(db_session, enrolled, now):
    agent, _codes = enrolled
    code = totp(now)

    assert second_factor.verify(db_session, agent, f" {code[:3]} {code[3:]} ", now=now, via="x")


def test_a_recovery_code_works_once_and_its_use_is_recorded(db_session, enrolled, now):
    agent, codes = enrolled

    assert second_factor.verify(db_session, agent, codes[3], now=now, via="staff") == "recovery"
    assert second_factor.recovery_codes_left(db_session, agent) == 9
    with pytest.raises(second_factor.WrongCode):
        second_factor.verify(db_session, agent, codes[3], now=now, via="staff")
    assert kinds(db_session)[-2:] == ["recovery_code_used", "second_factor_failed"]


def test_a_recovery_code_is_read_without_regard_to_case_or_dashes(db_session, enrolled, now):
    agent, codes = enrolled

    assert second_factor.verify(
        db_session, agent, codes[0].replace("-", "").upper(), now=now, via="staff"
    )


def test_recovery_codes_are_stored_as_digests_only(db_session, enrolled):
    agent, codes = enrolled
    stored = set(db_session.scalars(select(RecoveryCode.code_hash)))

    assert len(stored) == 10
    assert not stored & set(codes)
    assert {second_factor.recovery_digest(c) for c in codes} == stored
    assert all(len(h) == 64 for h in stored)


def test_new_recovery_codes_need_proof_and_end_the_old_ones(db_session, enrolled, now):
    agent, old = enrolled
    with pytest.raises(second_factor.WrongPassword):
        second_factor.regenerate_recovery_codes(db_session, agent, password="nope", now=now)

    new = second_factor.regenerate_recovery_codes(db_session, agent, password="pw", now=now)

    assert not set(new) & set(old)
    with pytest.raises(second_factor.WrongCode):
        second_factor.verify(db_session, agent, old[0], now=now, via="staff")
    assert second_factor.verify(db_session, agent, new[0], now=now, via="staff") == "recovery"


def test_turning_it_off_needs_a_code_or_the_password(db_session, enrolled, now):
    agent, _codes = enrolled
    with pytest.raises(second_factor.WrongCode):
        second_factor.disable(db_session, agent, code="000000", now=now)
    assert second_factor.enrolled(agent)

    second_factor.disable(db_session, agent, code=totp(now), now=now)

    assert not second_factor.enrolled(agent) and agent.totp_secret is None
    assert second_factor.recovery_codes_left(db_session, agent) == 0
    assert kinds(db_session)[-1] == "second_factor_removed"


def test_an_admin_cannot_turn_off_what_the_rule_requires(db_session, factory, now):
    admin = factory.admin()

    with pytest.raises(second_factor.StillRequired):
        second_factor.disable(db_session, admin, password="pw", now=now)
    assert second_factor.enrolled(admin)


def test_a_reset_clears_the_factor_and_records_who_did_it(db_session, factory, enrolled, now):
    agent, codes = enrolled
    admin = factory.admin()

    assert second_factor.reset(db_session, agent, actor=admin, now=now, via="console")

    assert agent.totp_secret is None and not second_factor.enrolled(agent)
    assert second_factor.recovery_codes_left(db_session, agent) == 0
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "second_factor_reset")
    ).one()
    assert event.actor_id == admin.id
    assert event.data == {"user_id": agent.id, "email": agent.email, "by": admin.email}


def test_resetting_someone_without_a_factor_changes_and_records_nothing(db_session, agent, now):
    assert not second_factor.reset(db_session, agent, actor=None, now=now, via="cli")
    assert kinds(db_session) == []


def test_admins_must_have_a_factor_by_default_and_everyone_else_may(db_session, factory):
    acme = factory.client("acme")

    assert second_factor.policy(db_session) == "admins"
    assert second_factor.required_for(db_session, factory.admin(second_factor=False))
    assert not second_factor.required_for(db_session, factory.agent())
    assert not second_factor.required_for(db_session, factory.supervisor(acme))
    assert not second_factor.asked_of(db_session, factory.customer(acme))


def test_the_staff_rule_requires_it_of_every_staff_member_but_never_of_customers(
    db_session, factory, now
):
    acme = factory.client("acme")
    admin = factory.admin()

    second_factor.set_policy(db_session, "staff", actor=admin, now=now)

    assert second_factor.required_for(db_session, factory.agent())
    assert second_factor.required_for(db_session, factory.supervisor(acme))
    assert not second_factor.required_for(db_session, factory.customer(acme))
    event = db_session.scalars(select(AuditEvent)).one()
    assert (event.kind, event.actor_id) == ("second_factor_policy", admin.id)
    assert event.data == {"from": "admins", "to": "staff"}


def test_an_unknown_rule_is_refused(db_session, factory, now):
    with pytest.raises(ServiceError):
        second_factor.set_policy(db_session, "nobody", actor=factory.admin(), now=now)
    assert second_factor.policy(db_session) == "admins"
