"""courses say when admitted students report

courses.report_date is the day an admitted student reports to the institution (NULL: the course's first
day); courses.report_time says the hours or other arrangements, such as 上午 8:00–11:30. Both are printed
on the admission notice.

Revision ID: 3c8e1f5a9b27
Revises: 11614a7c878a
Create Date: 2026-11-24 02:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c8e1f5a9b27'
down_revision = '11614a7c878a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('report_time', sa.String(length=64), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('report_time')
        batch_op.drop_column('report_date')
