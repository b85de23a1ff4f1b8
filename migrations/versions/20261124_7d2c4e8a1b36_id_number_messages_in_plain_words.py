"""ID-number messages in plain words

Two messages about a wrong ID number named the check digit (校验位) and the administrative division code
(行政区划代码), words few families know. Rows an import refused keep their reason as the message's
Simplified Chinese text (its msgid), translated where shown: those stored under the old wording take the
new, so that they are still translated.

Revision ID: 7d2c4e8a1b36
Revises: 5e7a0c3d2b91
Create Date: 2026-11-24 04:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2c4e8a1b36'
down_revision = '5e7a0c3d2b91'
branch_labels = None
depends_on = None

REWORDED = [
    ("身份证号校验位不对，请逐位核对。", "身份证号有一位填错了，请对照身份证逐位核对。"),
    ("身份证号前6位不是有效的行政区划代码。", "身份证号前6位（地区编码）不对，请对照身份证核对。"),
]


def _reword(pairs):
    update = sa.text("UPDATE registry_rejections SET reason = :new WHERE reason = :old")
    for old, new in pairs:
        op.get_bind().execute(update, {"old": old, "new": new})


def upgrade():
    _reword(REWORDED)


def downgrade():
    _reword([(new, old) for old, new in REWORDED])
