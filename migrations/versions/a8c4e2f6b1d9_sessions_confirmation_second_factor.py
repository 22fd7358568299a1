"""Server-side sessions and their sockets, confirmed e-mail, staff second factor, named tokens,
held e-mail replies

Users who could sign in before keep doing so: staff and provisioned customers count as
confirmed from their creation. Customers who registered on a portal (an audit event says so)
and customers without a password are left unconfirmed: the next sign-in asks them to confirm.

Revision ID: a8c4e2f6b1d9
Revises: f2b6d8e4a1c3
Create Date: 2026-12-07 21:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import helpdesk.models.types

# revision identifiers, used by Alembic.
revision = 'a8c4e2f6b1d9'
down_revision = 'f2b6d8e4a1c3'
branch_labels = None
depends_on = None

UTC_DT = helpdesk.models.types.UTCDateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', UTC_DT, nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', UTC_DT, nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE users SET email_confirmed_at = created_at WHERE password_hash IS NOT NULL "
        "AND (realm = 0 OR id NOT IN (SELECT actor_id FROM audit_events "
        "WHERE kind = 'registered' AND actor_id IS NOT NULL))"
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', UTC_DT, nullable=True))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('held', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=32), nullable=True))
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('realm', sa.String(length=16), nullable=False),
        sa.Column('user_agent', sa.String(length=200), nullable=True),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('created_at', UTC_DT, nullable=False),
        sa.Column('last_seen_at', UTC_DT, nullable=False),
        sa.Column('ended_at', UTC_DT, nullable=True),
        sa.Column('end_reason', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_hash'),
    )
    op.create_index(
        'ix_user_sessions_user_id_ended_at', 'user_sessions', ['user_id', 'ended_at']
    )
    op.create_table(
        'socket_connections',
        sa.Column('sid', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('token_id', sa.Integer(), nullable=True),
        sa.Column('connected_at', UTC_DT, nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['session_id'], ['user_sessions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sid'),
    )
    op.create_index('ix_socket_connections_user_id', 'socket_connections', ['user_id'])
    op.create_index('ix_socket_connections_session_id', 'socket_connections', ['session_id'])
    op.create_index('ix_socket_connections_token_id', 'socket_connections', ['token_id'])
    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', UTC_DT, nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_recovery_codes_user_id', 'recovery_codes', ['user_id'])
    op.create_table(
        'site_settings',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.JSON(), nullable=True),
        sa.Column('updated_at', UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade():
    op.drop_table('site_settings')
    op.drop_index('ix_recovery_codes_user_id', table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_index('ix_socket_connections_token_id', table_name='socket_connections')
    op.drop_index('ix_socket_connections_session_id', table_name='socket_connections')
    op.drop_index('ix_socket_connections_user_id', table_name='socket_connections')
    op.drop_table('socket_connections')
    op.drop_index('ix_user_sessions_user_id_ended_at', table_name='user_sessions')
    op.drop_table('user_sessions')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('held')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('name')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('email_confirmed_at')
