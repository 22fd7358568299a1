"""Index the queues' default order and a client's open work: a queue page reads its rows from
ix_tickets_due_order (due time, priority rank, age) instead of sorting every matching ticket,
and the tab counts read ix_tickets_client_work alone; it replaces ix_tickets_client_status,
its prefix

Revision ID: a7c3e9d1f5b2
Revises: c3f5a7e9b2d4
Create Date: 2026-12-08 00:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d1f5b2'
down_revision = 'c3f5a7e9b2d4'
branch_labels = None
depends_on = None

# The model's PRIORITY_RANK as it is compiled: literals, so queries match the index expression.
# The model's PRIORITY_RANK_INDEXED: PRIORITY_RANK in parentheses (PostgreSQL takes no other
# expression in an index), laid out as PostgreSQL prints it back.
PRIORITY_RANK = sa.text(
    "(\nCASE\n"
    "    WHEN priority = 'urgent' THEN 0\n"
    "    WHEN priority = 'high' THEN 1\n"
    "    WHEN priority = 'normal' THEN 2\n"
    "    WHEN priority = 'low' THEN 3\n"
    "    ELSE 4\nEND)"
)


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tickets_client_work',
            ['client_id', 'status', 'assignee_id', 'locale', 'category'],
            unique=False,
        )
        batch_op.drop_index('ix_tickets_client_status')
    op.create_index(
        'ix_tickets_due_order',
        'tickets',
        [sa.column('next_due_at'), PRIORITY_RANK, sa.column('created_at'), sa.column('id'),
         sa.column('status'), sa.column('client_id')],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_tickets_due_order', table_name='tickets')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_client_status', ['client_id', 'status'], unique=False)
        batch_op.drop_index('ix_tickets_client_work')
