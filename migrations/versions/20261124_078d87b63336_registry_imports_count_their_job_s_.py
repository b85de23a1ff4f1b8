"""registry imports count their job's attempts

Restarting a stopped import counts its attempt on; a run of the job queued before the restart
finds itself superseded at its next write and stops, so two runs never import one batch.

Revision ID: 078d87b63336
Revises: 035cd59ec3b4
Create Date: 2026-11-24 00:12:53.637979

"""
from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = '078d87b63336'
down_revision = '035cd59ec3b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.drop_column('attempt')
