"""accounts whose password was reset must choose their own

A staff member or the admin can reset an account to a temporary password; users.must_change_password
marks such an account until its holder sets a password of their own on 修改密码.

Revision ID: 11614a7c878a
Revises: f9bbdeb9da81
Create Date: 2026-11-24 01:05:09.578664

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '11614a7c878a'
down_revision = 'f9bbdeb9da81'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
