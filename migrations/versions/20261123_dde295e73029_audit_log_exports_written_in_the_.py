"""audit log exports written in the background

An export of more entries than AUDIT_EXPORT_IN_REQUEST is written by a background job into
audit_exports, whose row carries its progress and, once done, the XLSX file.

Revision ID: dde295e73029
Revises: dbb093c41987
Create Date: 2026-11-23 22:56:34.552565

"""
from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = 'dde295e73029'
down_revision = 'dbb093c41987'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('entries_total', sa.Integer(), nullable=False),
    sa.Column('entries_done', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_audit_exports_status_known')),
    sa.CheckConstraint('entries_done >= 0 AND entries_done <= entries_total', name=op.f('ck_audit_exports_progress_within_total')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_audit_exports_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_exports'))
    )
    with op.batch_alter_table('audit_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_exports_requested_by_id'), ['requested_by_id'], unique=False)



def downgrade():
    with op.batch_alter_table('audit_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_exports_requested_by_id'))

    op.drop_table('audit_exports')
