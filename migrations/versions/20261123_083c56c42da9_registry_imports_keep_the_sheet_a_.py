"""registry imports keep the sheet a workbook's list was read from

A workbook may open with a cover or notes sheet; the import's result page names the sheet whose
list it read, so its row numbers can be found there. Files other than workbooks leave it empty.

Revision ID: 083c56c42da9
Revises: 14edff75b8aa
Create Date: 2026-11-23 09:33:52.872551

"""
from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = '083c56c42da9'
down_revision = '14edff75b8aa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheet', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.drop_column('sheet')
