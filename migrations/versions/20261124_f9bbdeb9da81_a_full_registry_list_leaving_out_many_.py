"""a full registry list leaving out many waits for the admin's confirmation

A full import that would mark more than PORTAL_REGISTRY_HOLD_LEAVING of the registry as left is
held (status 'held', nothing changed) until the admin confirms it; the batch then records the
confirmation.

Revision ID: f9bbdeb9da81
Revises: 078d87b63336
Create Date: 2026-11-24 00:52:11.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f9bbdeb9da81'
down_revision = '078d87b63336'
branch_labels = None
depends_on = None

BEFORE = "status IN ('queued', 'running', 'done', 'failed')"
AFTER = "status IN ('queued', 'running', 'done', 'failed', 'held')"


def upgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leaving_confirmed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_constraint(op.f('ck_registry_imports_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_registry_imports_status_known'), AFTER)


def downgrade():
    op.execute("UPDATE registry_imports SET status = 'failed' WHERE status = 'held'")
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registry_imports_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_registry_imports_status_known'), BEFORE)
        batch_op.drop_column('leaving_confirmed')
