"""strip bidirectional override controls from stored subjects, names and file names

They let a name like "\u202egnp.exe" read "exe.png"; new input is cleaned by the services
(helpdesk.domain.text), and this cleans what was stored before. Nothing to undo.

Revision ID: c7d2f1a9e3b4
Revises: b41e0c9d7a21
Create Date: 2026-12-07 19:10:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d2f1a9e3b4'
down_revision = 'b41e0c9d7a21'
branch_labels = None
depends_on = None

CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
PATTERN = re.compile("[" + "".join(CONTROLS) + "]")
COLUMNS = [("tickets", "subject"), ("users", "name"), ("attachments", "filename")]


def upgrade():
    bind = op.get_bind()
    for table, column in COLUMNS:
        t = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.String))
        col = t.c[column]
        rows = bind.execute(
            sa.select(t.c.id, col).where(sa.or_(*[col.contains(ch) for ch in CONTROLS]))
        ).all()
        for row_id, value in rows:
            bind.execute(
                sa.update(t).where(t.c.id == row_id).values({column: PATTERN.sub("", value)})
            )


def downgrade():
    pass
