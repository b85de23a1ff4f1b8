"""registry imports list every sheet read; rejections name their sheet

Some offices send the registry as one sheet per township. An import reads every sheet with a
list, so it keeps the sheets' names in order, and each refused row says which sheet it is on
(its index among them; 0 for a CSV file or a single sheet).

Revision ID: e4feeb19f16e
Revises: 083c56c42da9
Create Date: 2026-11-23 11:23:54.671207

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4feeb19f16e'
down_revision = '083c56c42da9'
branch_labels = None
depends_on = None

imports = sa.table('registry_imports', sa.column('id', sa.Integer), sa.column('sheet', sa.String),
                   sa.column('sheets', sa.JSON))


def upgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheets', sa.JSON(), nullable=True))
    connection = op.get_bind()
    for import_id, sheet in connection.execute(sa.select(imports.c.id, imports.c.sheet)
                                               .where(imports.c.sheet.is_not(None))).all():
        connection.execute(imports.update().where(imports.c.id == import_id).values(sheets=[sheet]))
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.drop_column('sheet')

    with op.batch_alter_table('registry_rejections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheet_no', sa.SmallInteger(), server_default='0', nullable=False))
        batch_op.drop_index('ix_registry_rejections_import_row')
        batch_op.create_index('ix_registry_rejections_import_row', ['import_id', 'sheet_no', 'row_no'], unique=False)


def downgrade():
    with op.batch_alter_table('registry_rejections', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_rejections_import_row')
        batch_op.create_index('ix_registry_rejections_import_row', ['import_id', 'row_no'], unique=False)
        batch_op.drop_column('sheet_no')

    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheet', sa.String(length=255), nullable=True))
    connection = op.get_bind()
    for import_id, sheets in connection.execute(sa.select(imports.c.id, imports.c.sheets)
                                                .where(imports.c.sheets.is_not(None))).all():
        connection.execute(imports.update().where(imports.c.id == import_id).values(sheet=sheets[0]))
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.drop_column('sheets')
