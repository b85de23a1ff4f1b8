"""registry people without last_import_id; imports count the students they re-checked

Which import last touched a person is in their history (registry_changes), so the column, its
index and its foreign key go: a million-row import no longer maintains and checks them per row.
An import now checks again the students on the portal whose listing it added or changed, and
keeps how many changed their verification.

Revision ID: 14edff75b8aa
Revises: 500edd2ee1fa
Create Date: 2026-11-23 05:18:50.646479

"""
from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = '14edff75b8aa'
down_revision = '500edd2ee1fa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_people_last_import_id'))
        batch_op.drop_constraint(batch_op.f('fk_registry_people_last_import_id_registry_imports'), type_='foreignkey')
        batch_op.drop_column('last_import_id')
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('students_changed', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.drop_column('students_changed')
    with op.batch_alter_table('registry_people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_import_id', sa.INTEGER(), nullable=True))
    # The latest import that changed each person, else the one that first listed them.
    op.execute("UPDATE registry_people SET last_import_id = COALESCE("
               "(SELECT max(import_id) FROM registry_changes WHERE person_id = registry_people.id), first_import_id)")
    with op.batch_alter_table('registry_people', schema=None) as batch_op:
        batch_op.alter_column('last_import_id', nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_registry_people_last_import_id_registry_imports'), 'registry_imports', ['last_import_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_registry_people_last_import_id'), ['last_import_id'], unique=False)
