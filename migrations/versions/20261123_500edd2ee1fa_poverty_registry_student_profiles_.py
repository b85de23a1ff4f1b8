"""poverty registry, student profiles, applications and notifications

The registry and its import batches, families' student profiles and proof documents,
applications with the partial unique index that allows one live application per student and
course, enrollments, admission notices, notifications, and each course's offer period.

Revision ID: 500edd2ee1fa
Revises: 0a8b93a88bfe
Create Date: 2026-11-23 03:03:27.624788

"""
from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = '500edd2ee1fa'
down_revision = '0a8b93a88bfe'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=255), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=255), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at', 'created_at'], unique=False)

    op.create_table('registry_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('left', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('unknown_columns', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_registry_imports_status_known')),
    sa.CheckConstraint('rows_done >= 0 AND rows_done <= rows_total', name=op.f('ck_registry_imports_progress_within_total')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_registry_imports_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_imports'))
    )
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_imports_sha256'), ['sha256'], unique=False)

    op.create_table('registry_files',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['registry_imports.id'], name=op.f('fk_registry_files_import_id_registry_imports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('import_id', name=op.f('pk_registry_files'))
    )
    op.create_table('registry_people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('id_cipher', sa.LargeBinary(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('household_no', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('county', sa.String(length=64), nullable=False),
    sa.Column('township', sa.String(length=64), nullable=False),
    sa.Column('village', sa.String(length=64), nullable=False),
    sa.Column('year_identified', sa.Integer(), nullable=True),
    sa.Column('poverty_status', sa.String(length=16), nullable=True),
    sa.Column('dibao', sa.Boolean(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('row_hash', sa.LargeBinary(length=16), nullable=False),
    sa.Column('in_registry', sa.Boolean(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('first_import_id', sa.Integer(), nullable=False),
    sa.Column('last_import_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("poverty_status IS NULL OR poverty_status IN ('not_lifted', 'lifted', 'relapsed', 'monitored')", name=op.f('ck_registry_people_poverty_status_known')),
    sa.CheckConstraint('in_registry OR left_on IS NOT NULL', name=op.f('ck_registry_people_left_has_date')),
    sa.ForeignKeyConstraint(['first_import_id'], ['registry_imports.id'], name=op.f('fk_registry_people_first_import_id_registry_imports')),
    sa.ForeignKeyConstraint(['last_import_id'], ['registry_imports.id'], name=op.f('fk_registry_people_last_import_id_registry_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_people')),
    sa.UniqueConstraint('id_hash', name=op.f('uq_registry_people_id_hash'))
    )
    with op.batch_alter_table('registry_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_people_household_no'), ['household_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_people_last_import_id'), ['last_import_id'], unique=False)

    op.create_table('registry_rejections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=128), nullable=False),
    sa.Column('values', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['registry_imports.id'], name=op.f('fk_registry_rejections_import_id_registry_imports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_rejections'))
    )
    with op.batch_alter_table('registry_rejections', schema=None) as batch_op:
        batch_op.create_index('ix_registry_rejections_import_row', ['import_id', 'row_no'], unique=False)

    op.create_table('registry_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('updated', 'left', 'returned')", name=op.f('ck_registry_changes_kind_known')),
    sa.ForeignKeyConstraint(['import_id'], ['registry_imports.id'], name=op.f('fk_registry_changes_import_id_registry_imports')),
    sa.ForeignKeyConstraint(['person_id'], ['registry_people.id'], name=op.f('fk_registry_changes_person_id_registry_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_changes'))
    )
    with op.batch_alter_table('registry_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_changes_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_changes_person_id'), ['person_id'], unique=False)

    op.create_table('students',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('id_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('id_cipher', sa.LargeBinary(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=8), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('school', sa.String(length=128), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('verification', sa.String(length=24), nullable=False),
    sa.Column('registry_person_id', sa.Integer(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verification_note', sa.Text(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("relation IN ('self', 'child', 'grandchild', 'other')", name=op.f('ck_students_relation_known')),
    sa.CheckConstraint("sex IN ('male', 'female')", name=op.f('ck_students_sex_known')),
    sa.CheckConstraint("verification IN ('registry_verified', 'name_mismatch', 'not_found', 'proof_verified', 'proof_rejected')", name=op.f('ck_students_verification_known')),
    sa.ForeignKeyConstraint(['account_id'], ['users.id'], name=op.f('fk_students_account_id_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_students_region_code_regions')),
    sa.ForeignKeyConstraint(['registry_person_id'], ['registry_people.id'], name=op.f('fk_students_registry_person_id_registry_people')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_students_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_students')),
    sa.UniqueConstraint('id_hash', name=op.f('uq_students_id_hash'))
    )
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_students_account_id'), ['account_id'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('green_channel', sa.Boolean(), nullable=False),
    sa.Column('holds_reserved_place', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('offer_expires_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('updated_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('submitted', 'under_review', 'admitted', 'waitlisted', 'rejected', 'accepted', 'declined', 'lapsed', 'withdrawn')", name=op.f('ck_applications_status_known')),
    sa.CheckConstraint('NOT holds_reserved_place OR green_channel', name=op.f('ck_applications_reserved_only_green')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_applications_course_id_courses')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_applications_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_queue', ['course_id', 'status', 'green_channel', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_student_id'), ['student_id'], unique=False)
        batch_op.create_index('uq_applications_live_student_course', ['student_id', 'course_id'], unique=True, sqlite_where=sa.text("status IN ('submitted', 'under_review', 'admitted', 'waitlisted', 'accepted')"), postgresql_where=sa.text("status IN ('submitted', 'under_review', 'admitted', 'waitlisted', 'accepted')"))

    op.create_table('proof_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'application/pdf')", name=op.f('ck_proof_documents_type_allowed')),
    sa.CheckConstraint("kind IN ('poverty_certificate', 'household_register', 'other')", name=op.f('ck_proof_documents_kind_known')),
    sa.CheckConstraint('size > 0 AND size <= 5242880', name=op.f('ck_proof_documents_size_allowed')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_proof_documents_student_id_students')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_proof_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proof_documents'))
    )
    with op.batch_alter_table('proof_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proof_documents_student_id'), ['student_id'], unique=False)

    op.create_table('enrollments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('fee_waiver', sa.Boolean(), nullable=False),
    sa.Column('national_grant', sa.Boolean(), nullable=False),
    sa.Column('living_allowance', sa.Boolean(), nullable=False),
    sa.Column('enrolled_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_enrollments_application_id_applications')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_enrollments_course_id_courses')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_enrollments_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollments')),
    sa.UniqueConstraint('application_id', name=op.f('uq_enrollments_application_id')),
    sa.UniqueConstraint('student_id', 'course_id', name=op.f('uq_enrollments_student_id_course_id'))
    )
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrollments_student_id'), ['student_id'], unique=False)

    op.create_table('admission_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('issued_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_admission_notices_enrollment_id_enrollments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_notices')),
    sa.UniqueConstraint('enrollment_id', name=op.f('uq_admission_notices_enrollment_id')),
    sa.UniqueConstraint('number', name=op.f('uq_admission_notices_number')),
    sa.UniqueConstraint('token', name=op.f('uq_admission_notices_token'))
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_days', sa.Integer(), server_default='7', nullable=False))
        batch_op.create_check_constraint(op.f('ck_courses_offer_days_positive'), 'offer_days > 0')
        batch_op.create_check_constraint(op.f('ck_courses_general_within'),
                                         'seats_filled - reserved_filled <= capacity - reserved_places')



def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_courses_general_within'), type_='check')
        batch_op.drop_constraint(op.f('ck_courses_offer_days_positive'), type_='check')
        batch_op.drop_column('offer_days')

    op.drop_table('admission_notices')
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollments_student_id'))
        batch_op.drop_index(batch_op.f('ix_enrollments_course_id'))

    op.drop_table('enrollments')
    with op.batch_alter_table('proof_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proof_documents_student_id'))

    op.drop_table('proof_documents')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('uq_applications_live_student_course', sqlite_where=sa.text("status IN ('submitted', 'under_review', 'admitted', 'waitlisted', 'accepted')"), postgresql_where=sa.text("status IN ('submitted', 'under_review', 'admitted', 'waitlisted', 'accepted')"))
        batch_op.drop_index(batch_op.f('ix_applications_student_id'))
        batch_op.drop_index('ix_applications_queue')

    op.drop_table('applications')
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_students_account_id'))

    op.drop_table('students')
    with op.batch_alter_table('registry_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_changes_person_id'))
        batch_op.drop_index(batch_op.f('ix_registry_changes_import_id'))

    op.drop_table('registry_changes')
    with op.batch_alter_table('registry_rejections', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_rejections_import_row')

    op.drop_table('registry_rejections')
    with op.batch_alter_table('registry_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_people_last_import_id'))
        batch_op.drop_index(batch_op.f('ix_registry_people_household_no'))

    op.drop_table('registry_people')
    op.drop_table('registry_files')
    with op.batch_alter_table('registry_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_imports_sha256'))

    op.drop_table('registry_imports')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')

    op.drop_table('notifications')
