"""registry imports count rows repeated exactly

An office's workbook may hold a summary sheet and a sheet per township, listing each person
twice. A row that lists someone exactly as an earlier row did is counted as repeated instead of
refused; imports made before this count none.

Revision ID: dbb093c41987
Revises: e4feeb19f16e
Create Date: 2026-11-23 14:34:26.253267

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dbb093c41987'
down_revision = 'e4feeb19f16e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeated', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.drop_column('repeated')
