"""initial schema: regions, institutions, users, courses, audit log

The foundation's tables. Constraint names come from the naming convention in portal/db.py.

Revision ID: 0a8b93a88bfe
Revises: 
Create Date: 2026-11-23 02:30:00.613845

"""
from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = '0a8b93a88bfe'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('regions',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=6), nullable=True),
    sa.CheckConstraint("level IN ('province', 'city', 'county')", name=op.f('ck_regions_level_known')),
    sa.CheckConstraint('length(code) = 6', name=op.f('ck_regions_code_six_digits')),
    sa.ForeignKeyConstraint(['parent_code'], ['regions.code'], name=op.f('fk_regions_parent_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regions_parent_code'), ['parent_code'], unique=False)

    op.create_table('institutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('website', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('technical_college', 'training_centre')", name=op.f('ck_institutions_kind_known')),
    sa.CheckConstraint('length(uscc) = 18', name=op.f('ck_institutions_uscc_length')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_institutions_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institutions')),
    sa.UniqueConstraint('name', name=op.f('uq_institutions_name')),
    sa.UniqueConstraint('uscc', name=op.f('uq_institutions_uscc'))
    )
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institutions_region_code'), ['region_code'], unique=False)

    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('trade', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('schedule', sa.String(length=255), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('apply_opens', sa.Date(), nullable=False),
    sa.Column('apply_closes', sa.Date(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('reserved_places', sa.Integer(), nullable=False),
    sa.Column('seats_filled', sa.Integer(), nullable=False),
    sa.Column('reserved_filled', sa.Integer(), nullable=False),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.Column('fee_waiver', sa.Boolean(), nullable=False),
    sa.Column('national_grant', sa.Boolean(), nullable=False),
    sa.Column('living_allowance', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('how_to_apply', sa.Text(), nullable=False),
    sa.Column('search_text', sa.String(length=512), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('free_training', 'poverty_class', 'regular')", name=op.f('ck_courses_kind_known')),
    sa.CheckConstraint("level IN ('none', 'junior', 'intermediate', 'senior', 'technician', 'senior_technician')", name=op.f('ck_courses_level_known')),
    sa.CheckConstraint("mode IN ('on_site', 'village', 'remote')", name=op.f('ck_courses_mode_known')),
    sa.CheckConstraint("status IN ('draft', 'published', 'closed')", name=op.f('ck_courses_status_known')),
    sa.CheckConstraint('apply_closes >= apply_opens', name=op.f('ck_courses_window_ordered')),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_courses_capacity_positive')),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_courses_ends_after_start')),
    sa.CheckConstraint('fee_fen >= 0', name=op.f('ck_courses_fee_not_negative')),
    sa.CheckConstraint('hours > 0', name=op.f('ck_courses_hours_positive')),
    sa.CheckConstraint('reserved_filled >= 0 AND reserved_filled <= reserved_places', name=op.f('ck_courses_reserved_filled_within')),
    sa.CheckConstraint('reserved_places >= 0 AND reserved_places <= capacity', name=op.f('ck_courses_reserved_within_capacity')),
    sa.CheckConstraint('seats_filled >= 0 AND seats_filled <= capacity', name=op.f('ck_courses_seats_within_capacity')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_courses_institution_id_institutions')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_courses_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index('ix_courses_catalog', ['status', 'kind', 'region_code', 'apply_closes', 'start_date', 'trade', 'level', 'mode', 'fee_fen', 'search_text'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_courses_status_start', ['status', 'start_date', 'apply_closes'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_trade'), ['trade'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('mobile', sa.String(length=11), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role != 'finance' OR region_code IS NOT NULL", name=op.f('ck_users_finance_has_region')),
    sa.CheckConstraint("role != 'staff' OR institution_id IS NOT NULL", name=op.f('ck_users_staff_has_institution')),
    sa.CheckConstraint("role IN ('applicant', 'staff', 'finance', 'admin')", name=op.f('ck_users_role_known')),
    sa.CheckConstraint('email IS NOT NULL OR mobile IS NOT NULL', name=op.f('ck_users_has_login')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_users_institution_id_institutions')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_users_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('mobile', name=op.f('uq_users_mobile'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_institution_id'), ['institution_id'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_object', ['object_type', 'object_id'], unique=False)



def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_object')

    op.drop_table('audit_entries')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_institution_id'))

    op.drop_table('users')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_trade'))
        batch_op.drop_index('ix_courses_status_start')
        batch_op.drop_index(batch_op.f('ix_courses_institution_id'))
        batch_op.drop_index('ix_courses_catalog')

    op.drop_table('courses')
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institutions_region_code'))

    op.drop_table('institutions')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_parent_code'))

    op.drop_table('regions')
