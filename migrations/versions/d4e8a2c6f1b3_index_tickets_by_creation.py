"""Index tickets by creation (created_at, id): GET /tickets pages newest first by reading the
index from its end instead of sorting every ticket the caller may see

Revision ID: d4e8a2c6f1b3
Revises: b9d3f1e7c2a4
Create Date: 2026-12-07 23:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4e8a2c6f1b3'
down_revision = 'b9d3f1e7c2a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_created_id', ['created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_created_id')
