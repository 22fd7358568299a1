"""job leases: one process at a time runs a scheduler job, and the job knows its last run

Revision ID: b41e0c9d7a21
Revises: 73e8e379c8a5
Create Date: 2026-12-07 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import helpdesk.models.types


# revision identifiers, used by Alembic.
revision = 'b41e0c9d7a21'
down_revision = '73e8e379c8a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_leases',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('holder', sa.String(length=80), nullable=True),
        sa.Column('held_until', helpdesk.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_run_at', helpdesk.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade():
    op.drop_table('job_leases')
