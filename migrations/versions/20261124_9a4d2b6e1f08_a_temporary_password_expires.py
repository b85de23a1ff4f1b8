"""a temporary password expires

users.password_expires_at is when the temporary password a reset gave stops opening the account (NULL
for a password the holder chose); its holder then asks for another reset.

Revision ID: 9a4d2b6e1f08
Revises: 3c8e1f5a9b27
Create Date: 2026-11-24 02:16:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a4d2b6e1f08'
down_revision = '3c8e1f5a9b27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_expires_at')
