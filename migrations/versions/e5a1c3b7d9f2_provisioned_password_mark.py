"""users remember the mark of the password provisioning set, so it never resets one they chose

Existing users get no mark: a later provisioning run treats their password as their own
(`flask provision --force-passwords` resets it anyway).

Revision ID: e5a1c3b7d9f2
Revises: c7d2f1a9e3b4
Create Date: 2026-12-07 19:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a1c3b7d9f2'
down_revision = 'c7d2f1a9e3b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provisioned_password_mark', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('provisioned_password_mark')
