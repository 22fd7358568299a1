"""Insert sentinels: a ticket's events, clocks and a batch of chat lines go in one INSERT on
SQLite too (SQLAlchemy matches the returned ids to the rows by this column)

Revision ID: b9d3f1e7c2a4
Revises: a8c4e2f6b1d9
Create Date: 2026-12-07 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9d3f1e7c2a4'
down_revision = 'a8c4e2f6b1d9'
branch_labels = None
depends_on = None

TABLES = ('ticket_events', 'sla_clocks', 'messages')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('_sentinel', sa.Integer(), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('_sentinel')
