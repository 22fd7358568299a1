"""Intake tokens: several named, revocable tokens per client, with their last use

Revision ID: c3f5a7e9b2d4
Revises: d4e8a2c6f1b3
Create Date: 2026-12-08 00:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

import helpdesk.models.types


# revision identifiers, used by Alembic.
revision = 'c3f5a7e9b2d4'
down_revision = 'd4e8a2c6f1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'intake_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', helpdesk.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('last_used_at', helpdesk.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', helpdesk.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('intake_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_intake_tokens_client_id', ['client_id'], unique=False)


def downgrade():
    with op.batch_alter_table('intake_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_tokens_client_id')
    op.drop_table('intake_tokens')
