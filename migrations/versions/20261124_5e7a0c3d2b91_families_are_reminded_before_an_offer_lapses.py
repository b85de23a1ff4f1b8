"""families are reminded before an offer lapses

applications.offer_reminded_at is when the family was reminded that the offer's last day to accept had
come (the daily chores send one reminder per offer).

Revision ID: 5e7a0c3d2b91
Revises: 9a4d2b6e1f08
Create Date: 2026-11-24 02:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a0c3d2b91'
down_revision = '9a4d2b6e1f08'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_reminded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('offer_reminded_at')
