"""API tokens carry the password mark they were issued under: a new password ends them

Tokens issued before have none and stop working: their users sign in again for a new one.

Revision ID: f2b6d8e4a1c3
Revises: e5a1c3b7d9f2
Create Date: 2026-12-07 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2b6d8e4a1c3'
down_revision = 'e5a1c3b7d9f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_mark', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('password_mark')
