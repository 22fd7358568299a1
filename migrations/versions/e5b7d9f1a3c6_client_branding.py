"""Client branding: an accent colour and a logo (kept in client_logos, its digest on the client)

Revision ID: e5b7d9f1a3c6
Revises: a7c3e9d1f5b2
Create Date: 2026-12-08 01:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

import helpdesk.models.types


# revision identifiers, used by Alembic.
revision = 'e5b7d9f1a3c6'
down_revision = 'a7c3e9d1f5b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accent_color', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('logo_sha256', sa.String(length=64), nullable=True))
    op.create_table(
        'client_logos',
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('updated_at', helpdesk.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('client_id'),
    )


def downgrade():
    op.drop_table('client_logos')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('logo_sha256')
        batch_op.drop_column('accent_color')
