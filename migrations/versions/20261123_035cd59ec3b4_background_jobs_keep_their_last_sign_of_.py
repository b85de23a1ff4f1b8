"""background jobs keep their last sign of life

A registry import or an audit export whose job has said nothing for JOB_STALL_MINUTES was stopped
(a restart, a crash); its page says so instead of waiting for ever. Existing rows have none and
are judged by when they were made.

Revision ID: 035cd59ec3b4
Revises: dde295e73029
Create Date: 2026-11-23 23:20:28.333204

"""
from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = '035cd59ec3b4'
down_revision = 'dde295e73029'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_at', portal.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_at', portal.db.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.drop_column('progress_at')

    with op.batch_alter_table('audit_exports', schema=None) as batch_op:
        batch_op.drop_column('progress_at')

