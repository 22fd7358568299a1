"""`flask users reset-second-factor EMAIL`: an operator clears a staff member's second factor."""

from __future__ import annotations

from sqlalchemy import select

from helpdesk.models import AuditEvent, RecoveryCode, User
from helpdesk.services import second_factor


def test_the_reset_clears_the_factor_and_its_codes_and_is_recorded_as_the_cli(
    cli, factory, db_session
):
    admin = factory.admin(email="root@provider.test")
    db_session.add(RecoveryCode(user_id=admin.id, code_hash="0" * 64))
    db_session.commit()

    result = cli("users", "reset-second-factor", " Root@Provider.test ")

    assert result.exit_code == 0, result.output
    assert "reset the second factor of root@provider.test" in result.stdout
    db_session.expire_all()
    root = db_session.get(User, admin.id)
    assert root.totp_secret is None and not second_factor.enrolled(root)
    assert db_session.scalars(select(RecoveryCode)).all() == []
    event = db_session.scalars(select(AuditEvent)).one()
    assert (event.kind, event.actor_id) == ("second_factor_reset", None)
    assert event.data == {"user_id": admin.id, "email": "root@provider.test", "by": "cli"}


def test_an_unknown_address_is_an_error_and_a_customer_is_not_staff(cli, factory, db_session):
    kei = factory.customer(factory.client("acme"), email="kei@example.test")

    for email in ("nobody@provider.test", kei.email):
        result = cli("users", "reset-second-factor", email)
        assert result.exit_code == 1
        assert "no staff member" in result.stderr
    assert db_session.scalars(select(AuditEvent)).all() == []


def test_someone_without_a_factor_has_nothing_to_reset(cli, factory):
    agent = factory.agent()

    result = cli("users", "reset-second-factor", agent.email)

    assert result.exit_code == 0 and "nothing to reset" in result.stdout
